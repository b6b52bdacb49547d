-- Demo data: a realistic "LiteLLM_SpendLogs" of about 20,000 requests over the last 30 days.
-- Four agents with skewed traffic, several versions (support-bot rolled 1.0.0 → 1.1.0 twelve days
-- ago), 60 users, ~4,000 sessions of 1-9 requests, four models, ~3% failures, some tool-call-only
-- replies and streamed requests. Agent fields sit where real LiteLLM keeps them: 70% of
-- sessions in metadata.spend_logs_metadata, 30% only in the stored request body (prompts on).
-- About 10% of requests carry no agent fields at all (other traffic through the same proxy).
-- Deterministic: setseed fixes the random choices; timestamps are relative to now().

DO $$ BEGIN PERFORM setseed(0.42); END $$;

INSERT INTO "LiteLLM_SpendLogs" (
    request_id, call_type, api_key, spend, total_tokens, prompt_tokens, completion_tokens,
    "startTime", "endTime", "completionStartTime", request_duration_ms, model, model_group,
    custom_llm_provider, "user", metadata, response, proxy_server_request, status, session_id,
    request_tags, cache_hit
)
SELECT
    'chatcmpl-' || md5(s.session_no || '-' || r.req_no),
    'acompletion',
    md5('key-' || s.key_no),
    CASE WHEN q.failed THEN 0
         ELSE round((q.prompt * m.price_in + q.completion * m.price_out)::numeric, 8)::float8 END,
    CASE WHEN q.failed THEN 0 ELSE q.prompt + q.completion END,
    CASE WHEN q.failed THEN 0 ELSE q.prompt END,
    CASE WHEN q.failed THEN 0 ELSE q.completion END,
    q.started,
    q.started + CASE WHEN q.failed THEN INTERVAL '80 milliseconds' ELSE q.duration END,
    CASE WHEN q.streamed AND NOT q.failed THEN q.started + q.duration * 0.15 END,
    CASE WHEN q.failed THEN 80 ELSE (extract(epoch FROM q.duration) * 1000)::int END,
    m.model,
    m.model,
    m.provider,
    '',
    jsonb_strip_nulls(jsonb_build_object(
        'user_api_key', md5('key-' || s.key_no),
        'user_api_key_alias', 'agents-key-' || s.key_no,
        'user_api_key_team_id', 'team-agents',
        'user_api_key_user_id', 'default_user_id',
        'requester_ip_address', '10.0.3.' || s.key_no,
        'status', CASE WHEN q.failed THEN 'failure' ELSE 'success' END,
        'usage_object', jsonb_build_object('prompt_tokens', q.prompt, 'completion_tokens', q.completion,
            'total_tokens', q.prompt + q.completion,
            'prompt_tokens_details', jsonb_build_object('cached_tokens', (q.prompt * q.cache_share)::int)),
        'spend_logs_metadata', CASE WHEN a.agent IS NOT NULL AND s.in_spend_logs THEN a.fields END,
        'error_information', CASE WHEN q.failed THEN jsonb_build_object(
            'error_code', '429', 'error_class', 'RateLimitError', 'llm_provider', m.provider,
            'error_message', 'Rate limit reached for requests', 'traceback', '') END
    )),
    CASE
        WHEN q.failed THEN '{}'::jsonb
        WHEN q.tool_only THEN jsonb_build_object(
            'id', 'chatcmpl-' || md5(s.session_no || '/' || r.req_no), 'object', 'chat.completion',
            'model', m.response_model,
            'choices', jsonb_build_array(jsonb_build_object('index', 0, 'finish_reason', 'tool_calls',
                'message', jsonb_build_object('role', 'assistant', 'content', NULL,
                    'tool_calls', jsonb_build_array(jsonb_build_object('id', 'call_' || r.req_no,
                        'type', 'function', 'function', jsonb_build_object('name', 'lookup_order',
                        'arguments', '{"order_id": ' || (s.session_no * 7 % 9973) || '}')))))),
            'usage', jsonb_build_object('prompt_tokens', q.prompt, 'completion_tokens', q.completion,
                'total_tokens', q.prompt + q.completion))
        ELSE jsonb_build_object(
            'id', 'chatcmpl-' || md5(s.session_no || '/' || r.req_no), 'object', 'chat.completion',
            'model', m.response_model,
            'choices', jsonb_build_array(jsonb_build_object('index', 0, 'finish_reason', 'stop',
                'message', jsonb_build_object('role', 'assistant', 'content', q.reply))),
            'usage', jsonb_build_object('prompt_tokens', q.prompt, 'completion_tokens', q.completion,
                'total_tokens', q.prompt + q.completion))
    END,
    CASE WHEN a.agent IS NOT NULL AND NOT s.in_spend_logs THEN jsonb_build_object(
        'model', m.model,
        'messages', jsonb_build_array(jsonb_build_object('role', 'user', 'content', q.question)),
        'stream', q.streamed,
        'metadata', a.fields || jsonb_build_object('requester_metadata', a.fields))
    ELSE '{}'::jsonb END,
    CASE WHEN q.failed THEN 'failure' ELSE 'success' END,
    gen_random_uuid()::text,
    '["User-Agent: OpenAI/Python 1.54.0"]'::jsonb,
    CASE WHEN q.cache_share > 0 THEN 'True' ELSE 'False' END
FROM (
    SELECT
        g AS session_no,
        -- Sessions start at least 20 minutes ago, so that none of their requests lies in the future.
        (now() AT TIME ZONE 'utc') - INTERVAL '20 minutes' - random() * INTERVAL '30 days' AS session_start,
        1 + floor(random() * 9)::int AS n_requests,
        random() AS agent_pick,
        random() AS version_pick,
        random() < 0.7 AS in_spend_logs,
        1 + floor(power(random(), 2) * 60)::int AS user_no,
        1 + floor(random() * 4)::int AS key_no,
        floor(random() * 4)::int AS model_no
    FROM generate_series(1, 4000) AS g
) AS s
CROSS JOIN LATERAL generate_series(1, s.n_requests) AS r(req_no)
CROSS JOIN LATERAL (
    SELECT
        CASE WHEN s.agent_pick < 0.40 THEN 'support-bot'
             WHEN s.agent_pick < 0.60 THEN 'sales-agent'
             WHEN s.agent_pick < 0.78 THEN 'code-reviewer'
             WHEN s.agent_pick < 0.90 THEN 'research-assistant'
        END AS agent
) AS pick
CROSS JOIN LATERAL (
    SELECT
        pick.agent,
        jsonb_build_object(
            'agent_name', pick.agent,
            'agent_version', CASE pick.agent
                WHEN 'support-bot' THEN CASE
                    WHEN s.session_start < (now() AT TIME ZONE 'utc') - INTERVAL '12 days' THEN '1.0.0'
                    WHEN s.version_pick < 0.8 THEN '1.1.0' ELSE '1.0.0' END
                WHEN 'sales-agent' THEN '2.0.0'
                WHEN 'code-reviewer' THEN CASE WHEN s.version_pick < 0.5 THEN '0.9.0' ELSE '1.0.0' END
                ELSE '3.2.1' END,
            'agent_user_id', 'user-' || lpad(s.user_no::text, 3, '0'),
            'agent_session_id', 'sess-' || lpad(s.session_no::text, 5, '0'),
            'agent_app_name', CASE pick.agent
                WHEN 'support-bot' THEN 'helpdesk' WHEN 'sales-agent' THEN 'crm'
                WHEN 'code-reviewer' THEN 'ci' ELSE 'notebook' END
        ) AS fields
) AS a
CROSS JOIN LATERAL (
    SELECT *
    FROM (VALUES
        (0, 'gpt-4o', 'gpt-4o-2024-08-06', 'openai', 2.5e-6, 1.0e-5),
        (1, 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18', 'openai', 1.5e-7, 6.0e-7),
        (2, 'claude-3-5-sonnet', 'claude-3-5-sonnet-20241022', 'anthropic', 3.0e-6, 1.5e-5),
        (3, 'gemini-1.5-pro', 'gemini-1.5-pro-002', 'vertex_ai', 1.25e-6, 5.0e-6)
    ) AS models(model_no, model, response_model, provider, price_in, price_out)
    WHERE models.model_no = s.model_no
) AS m
CROSS JOIN LATERAL (
    SELECT
        -- r.req_no in every expression keeps this subquery per request, not per session.
        s.session_start + (r.req_no - 1) * (INTERVAL '5 seconds' + random() * INTERVAL '110 seconds') AS started,
        INTERVAL '400 milliseconds' + random() * r.req_no * INTERVAL '1500 milliseconds' AS duration,
        random() < 0.03 + 0 * r.req_no AS failed,
        random() < 0.08 + 0 * r.req_no AS tool_only,
        random() < 0.5 + 0 * r.req_no AS streamed,
        CASE WHEN random() < 0.2 THEN 0.5 ELSE 0 END + 0 * r.req_no AS cache_share,
        200 + floor(random() * 2800)::int + 0 * r.req_no AS prompt,
        20 + floor(random() * 780)::int + 0 * r.req_no AS completion,
        (ARRAY[
            'Your order #4821 shipped yesterday and should arrive on Friday.',
            'I have reset your password; check your inbox for the link.',
            'Here is a summary of the three papers, with the key results in a table.',
            'The function leaks a file handle on the error path; wrap it in a with-block.',
            'Our Pro plan includes SSO, audit logs and 99.9% uptime, at $49 per seat.',
            'Sure — I can help with that. Could you share the invoice number?',
            'Refunds take 5-7 business days to appear on your statement.',
            E'Two issues:\n1. the loop is O(n²)\n2. "user_id" is never validated.'
        ])[1 + floor(random() * 8)::int + 0 * r.req_no] AS reply,
        (ARRAY[
            'Where is my order?', 'I cannot log in.', 'Summarise these papers.',
            'Review this diff please.', 'What does the Pro plan cost?'
        ])[1 + floor(random() * 5)::int + 0 * r.req_no] AS question
) AS q;

ANALYZE "LiteLLM_SpendLogs";
