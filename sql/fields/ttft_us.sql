-- Time to first token in microseconds: "completionStartTime" − "startTime", only where
-- completionStartTime is set and earlier than endTime. For unstreamed calls LiteLLM sets it equal
-- to endTime, which is not a first-token time (a known LiteLLM quirk), so those count as none.
CASE
    WHEN l."completionStartTime" < l."endTime"
        THEN (EXTRACT(EPOCH FROM (l."completionStartTime" - l."startTime")) * 1000000)::bigint
END
