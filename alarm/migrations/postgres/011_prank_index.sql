-- The previous-prank check reads a phone's alarms closed as prank or
-- invalid in the last 30 days. With only (caller_phone, raised_at) it read
-- every alarm of the phone in that window to find them: a phone that
-- raises many alarms made each of its next raises slower. This index holds
-- only the prank/invalid ones.
CREATE INDEX alarms_phone_prank ON alarms (caller_phone, raised_at) WHERE disposition IN ('prank', 'invalid');
