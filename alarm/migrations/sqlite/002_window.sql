-- The dashboard's windowed query walks alarms by time (all centres for a
-- province supervisor), and the retention job finds closed alarms by end.
CREATE INDEX alarms_raised ON alarms (raised_at, id);
CREATE INDEX alarms_ended ON alarms (state, ended_at);
