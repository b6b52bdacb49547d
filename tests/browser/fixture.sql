-- Browser-test fixture, relative to now() (the service runs on the wall clock). Expected figures
-- for browser-bot 1.0.0 over the last 24 hours or more, worked out by hand (run.mjs checks them):
--   25 requests (n = 1..25, every 30 minutes back from now), sessions s1..s5 (n % 5 + 1),
--   users u1..u3 (n % 3 + 1); n = 24, 25 failed (error rate 2/25 = 8.0 %).
--   tokens: 25 × 100 prompt + 23 × 20 completion = 2,960; spend 23 × $0.001 = $0.0230.
--   durations: 1000 + 10n ms for successes, 0 for failures; sorted 0, 0, 1010 … 1230; the
--   nearest-rank p95 is the ⌈0.95 × 25⌉ = 24th value: 1,220 ms.
--   23 replies "Reply number n", newest first: pages of 10 start at n = 1, 11, 21.
-- browser-bot 2.0.0: 5 requests, 200/40 tokens, $0.002 and 800 ms each. helper-bot 0.9: 3 requests.
INSERT INTO "LiteLLM_SpendLogs" (
    request_id, call_type, spend, total_tokens, prompt_tokens, completion_tokens,
    "startTime", "endTime", model, metadata, response, status, session_id
)
SELECT
    r.id, 'acompletion', r.spend, r.prompt + r.completion, r.prompt, r.completion,
    r.t, r.t + r.duration, r.model,
    jsonb_build_object(
        'status', r.status,
        'spend_logs_metadata', jsonb_build_object(
            'agent_name', r.agent, 'agent_version', r.version,
            'agent_session_id', r.session, 'agent_user_id', r.usr)),
    CASE WHEN r.status = 'failure' THEN '{}'::jsonb ELSE jsonb_build_object(
        'model', r.model, 'object', 'chat.completion',
        'choices', jsonb_build_array(jsonb_build_object(
            'index', 0, 'finish_reason', 'stop',
            'message', jsonb_build_object('role', 'assistant', 'content', r.reply)))) END,
    r.status, 'litellm-' || r.id
FROM (
    SELECT 'bb1-' || n AS id, 'browser-bot' AS agent, '1.0.0' AS version,
           's' || (n % 5 + 1) AS session, 'u' || (n % 3 + 1) AS usr,
           date_trunc('milliseconds', (now() AT TIME ZONE 'utc') - n * INTERVAL '30 minutes') AS t,
           CASE WHEN n > 23 THEN INTERVAL '0' ELSE (1000 + 10 * n) * INTERVAL '1 millisecond' END AS duration,
           100 AS prompt, CASE WHEN n > 23 THEN 0 ELSE 20 END AS completion,
           CASE WHEN n > 23 THEN 0 ELSE 0.001 END AS spend,
           CASE WHEN n > 23 THEN 'failure' ELSE 'success' END AS status,
           'gpt-4o' AS model, 'Reply number ' || n AS reply
    FROM generate_series(1, 25) AS n
    UNION ALL
    SELECT 'bb2-' || n, 'browser-bot', '2.0.0', 't' || n, 'u1',
           date_trunc('milliseconds', (now() AT TIME ZONE 'utc') - n * INTERVAL '45 minutes'),
           INTERVAL '800 milliseconds', 200, 40, 0.002, 'success', 'gpt-4o-mini', 'Version two reply ' || n
    FROM generate_series(1, 5) AS n
    UNION ALL
    SELECT 'hb-' || n, 'helper-bot', '0.9', 'h' || n, 'u9',
           date_trunc('milliseconds', (now() AT TIME ZONE 'utc') - n * INTERVAL '5 hours'),
           INTERVAL '500 milliseconds', 50, 5, 0.0001, 'success', 'gpt-4o-mini', 'Helper reply ' || n
    FROM generate_series(1, 3) AS n
) AS r;
