-- One chunk of the benchmark's LiteLLM_SpendLogs: sessions :first .. :last (psql variables), each
-- of 1-9 requests, spread over the :days days before now minus :offset_minutes. Run by
-- bench/generate.sh (and by bench/run.sh's writer); deterministic per chunk (setseed).
--
-- Shape, modelled on a busy proxy storing prompts: 12 agents with skewed (Zipf-like) traffic and
-- 1-3 versions each; the heaviest agent+version gets about a quarter of all requests. 3,000 users,
-- 6 models, ~3% failures (response '{}', spend 0), ~10% tool-call-only replies, half streamed.
-- Agent fields: 70% of sessions in metadata.spend_logs_metadata, 30% only in the stored request
-- body (plain keys + requester_metadata copy); ~5% of requests carry no agent fields. Every row
-- stores its prompt (proxy_server_request) and reply, and metadata carries LiteLLM's
-- model_map_information (~1.5 KB), so rows are ~3-4 KB and the JSON columns are TOASTed.
--
-- Optional psql variables change the shape (their defaults give exactly the data above):
--   :single_share   share of sessions with exactly one request (default 0: all are 1-9), as on
--                   proxies whose clients send a new session id per call;
--   :heaviest_share share of sessions that go to support-bot 2.1.0 (default -1: the Zipf split
--                   above); the other sessions follow the Zipf split, with support-bot's share
--                   spread over three older versions so that 2.1.0 stays the heaviest (>= 0.1);
--   :users          distinct agent_user_id values (default 3000).

\if :{?single_share}
\else
\set single_share 0
\endif
\if :{?heaviest_share}
\else
\set heaviest_share -1
\endif
\if :{?users}
\else
\set users 3000
\endif

SELECT setseed(:seed) AS seeded \gset

INSERT INTO "LiteLLM_SpendLogs" (
    request_id, call_type, api_key, spend, total_tokens, prompt_tokens, completion_tokens,
    "startTime", "endTime", "completionStartTime", request_duration_ms, model, model_group,
    custom_llm_provider, "user", metadata, response, proxy_server_request, status, session_id,
    request_tags, cache_hit, mcp_namespaced_tool_name
)
SELECT
    'chatcmpl-' || md5(s.session_no || '-' || r.req_no),
    'acompletion',
    md5('key-' || s.key_no),
    CASE WHEN q.failed THEN 0 ELSE (q.prompt * m.price_in + q.completion * m.price_out) END,
    CASE WHEN q.failed THEN 0 ELSE q.prompt + q.completion END,
    CASE WHEN q.failed THEN 0 ELSE q.prompt END,
    CASE WHEN q.failed THEN 0 ELSE q.completion END,
    q.started,
    q.started + CASE WHEN q.failed THEN INTERVAL '60 milliseconds' ELSE q.duration END,
    CASE WHEN q.streamed AND NOT q.failed THEN q.started + q.duration * 0.12
         WHEN NOT q.failed THEN q.started + q.duration END,
    CASE WHEN q.failed THEN 60 ELSE (extract(epoch FROM q.duration) * 1000)::int END,
    m.model, m.model, m.provider, '',
    jsonb_strip_nulls(jsonb_build_object(
        'user_api_key', md5('key-' || s.key_no),
        'user_api_key_alias', 'agents-key-' || s.key_no,
        'user_api_key_team_id', 'team-' || (s.key_no % 3),
        'user_api_key_team_alias', 'team ' || (s.key_no % 3),
        'user_api_key_user_id', 'default_user_id',
        'requester_ip_address', '10.0.' || s.key_no || '.' || (s.session_no % 250),
        'status', CASE WHEN q.failed THEN 'failure' ELSE 'success' END,
        'usage_object', jsonb_build_object('prompt_tokens', q.prompt, 'completion_tokens', q.completion,
            'total_tokens', q.prompt + q.completion,
            'prompt_tokens_details', jsonb_build_object('cached_tokens', (q.prompt * q.cache_share)::int)),
        'spend_logs_metadata', CASE WHEN a.fields IS NOT NULL AND s.in_spend_logs THEN a.fields END,
        'model_map_information', jsonb_build_object('model_map_key', m.model, 'model_map_value',
            jsonb_build_object('key', m.model, 'max_tokens', 16384, 'max_input_tokens', 128000,
                'max_output_tokens', 16384, 'input_cost_per_token', m.price_in,
                'output_cost_per_token', m.price_out, 'litellm_provider', m.provider, 'mode', 'chat',
                'supports_function_calling', true, 'supports_parallel_function_calling', true,
                'supports_vision', true, 'supports_response_schema', true,
                'supports_prompt_caching', true, 'supports_system_messages', true,
                'supports_tool_choice', true, 'supported_openai_params', jsonb_build_array(
                    'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'max_tokens',
                    'max_completion_tokens', 'modalities', 'prediction', 'n', 'presence_penalty',
                    'seed', 'stop', 'stream', 'stream_options', 'temperature', 'top_p', 'tools',
                    'tool_choice', 'function_call', 'functions', 'max_retries', 'extra_headers',
                    'parallel_tool_calls', 'audio', 'response_format', 'user'))),
        'error_information', CASE WHEN q.failed THEN jsonb_build_object(
            'error_code', '429', 'error_class', 'RateLimitError', 'llm_provider', m.provider,
            'error_message', 'Rate limit reached for requests', 'traceback', 'Traceback (most recent call last): ' || md5(q.reply)) END
    )),
    CASE
        WHEN q.failed THEN '{}'::jsonb
        ELSE jsonb_build_object(
            'id', 'chatcmpl-' || md5(s.session_no || '/' || r.req_no), 'object', 'chat.completion',
            'created', extract(epoch FROM q.started)::bigint, 'model', m.response_model,
            'choices', jsonb_build_array(jsonb_build_object('index', 0,
                'finish_reason', CASE WHEN q.tool_only THEN 'tool_calls' ELSE 'stop' END,
                'message', jsonb_build_object('role', 'assistant',
                    'content', CASE WHEN q.tool_only THEN NULL ELSE q.reply END,
                    'tool_calls', CASE WHEN q.tool_only THEN jsonb_build_array(jsonb_build_object(
                        'id', 'call_' || md5(q.reply), 'type', 'function', 'function',
                        jsonb_build_object('name', 'search_kb', 'arguments', '{"query": "' || left(q.question, 40) || '"}'))) END))),
            'usage', jsonb_build_object('prompt_tokens', q.prompt, 'completion_tokens', q.completion,
                'total_tokens', q.prompt + q.completion))
    END,
    jsonb_build_object(
        'model', m.model,
        'stream', q.streamed,
        'messages', jsonb_build_array(
            jsonb_build_object('role', 'system', 'content', 'You are ' || coalesce(pick.agent, 'an assistant') || '. Answer briefly and cite the knowledge base. Policy ' || md5(pick.agent || 'p')),
            jsonb_build_object('role', 'user', 'content', q.question || ' ' || repeat(md5(s.session_no || 'ctx' || r.req_no), 1 + (r.req_no * 3) % 40))),
        'metadata', CASE WHEN a.fields IS NOT NULL AND NOT s.in_spend_logs
            THEN a.fields || jsonb_build_object('requester_metadata', a.fields)
            ELSE jsonb_build_object('requester_metadata', '{}'::jsonb) END),
    CASE WHEN q.failed THEN 'failure' ELSE 'success' END,
    'litellm-' || md5(s.session_no || 'litellm-session' || r.req_no),
    '["User-Agent: OpenAI/Python 1.54.0"]'::jsonb,
    CASE WHEN q.cache_share > 0 THEN 'True' ELSE 'False' END,
    CASE WHEN q.tool_only AND s.session_no % 4 = 0 THEN 'kb/search_kb' END
FROM (
    SELECT
        g AS session_no,
        (now() AT TIME ZONE 'utc') - (:offset_minutes * INTERVAL '1 minute') - random() * (:days * INTERVAL '1 day') AS session_start,
        -- The constant test folds away at the default, so the classic shape draws the same numbers.
        CASE WHEN :single_share > 0 AND random() < :single_share THEN 1
             ELSE 1 + floor(random() * 9)::int END AS n_requests,
        random() AS agent_pick,
        random() AS version_pick,
        random() < 0.7 AS in_spend_logs,
        1 + floor(power(random(), 3) * :users)::int AS user_no,
        1 + floor(random() * 6)::int AS key_no,
        floor(random() * 6)::int AS model_no
    FROM generate_series(:first, :last) AS g
) AS s
CROSS JOIN LATERAL generate_series(1, s.n_requests) AS r(req_no)
CROSS JOIN LATERAL (
    -- With :heaviest_share, the first part of agent_pick's range is the heaviest agent+version and
    -- the rest is stretched back to [0, 1) for the Zipf split below.
    SELECT
        :heaviest_share >= 0 AND s.agent_pick < :heaviest_share AS heaviest,
        CASE WHEN :heaviest_share >= 0 THEN (s.agent_pick - :heaviest_share) / (1 - :heaviest_share)
             ELSE s.agent_pick END AS p
) AS split
CROSS JOIN LATERAL (
    -- Zipf-like: agent k gets weight 1/k over 12 agents; 5% of sessions have no agent fields.
    SELECT CASE
        WHEN split.heaviest THEN 'support-bot'
        WHEN split.p < 0.05 THEN NULL
        WHEN split.p < 0.3561 THEN 'support-bot'
        WHEN split.p < 0.5092 THEN 'sales-agent'
        WHEN split.p < 0.6112 THEN 'code-reviewer'
        WHEN split.p < 0.6878 THEN 'research-assistant'
        WHEN split.p < 0.7490 THEN 'billing-helper'
        WHEN split.p < 0.8000 THEN 'onboarding-guide'
        WHEN split.p < 0.8438 THEN 'sql-copilot'
        WHEN split.p < 0.8820 THEN 'triage-bot'
        WHEN split.p < 0.9160 THEN 'translator'
        WHEN split.p < 0.9467 THEN 'meeting-notes'
        WHEN split.p < 0.9745 THEN 'hr-assistant'
        ELSE 'security-auditor'
    END AS agent
) AS pick
CROSS JOIN LATERAL (
    SELECT CASE WHEN pick.agent IS NULL THEN NULL ELSE jsonb_build_object(
        'agent_name', pick.agent,
        -- The heaviest agent mostly runs its newest version.
        'agent_version', CASE
            WHEN split.heaviest THEN '2.1.0'
            WHEN pick.agent = 'support-bot' AND :heaviest_share >= 0 THEN CASE
                WHEN s.version_pick < 0.34 THEN '2.0.3' WHEN s.version_pick < 0.67 THEN '2.0.2' ELSE '1.9.0' END
            WHEN pick.agent = 'support-bot' THEN CASE WHEN s.version_pick < 0.8 THEN '2.1.0' ELSE '2.0.3' END
            WHEN s.version_pick < 0.5 THEN '1.2.0' WHEN s.version_pick < 0.85 THEN '1.1.0' ELSE '1.0.0' END,
        -- lpad cuts longer strings: pad only up to their own length.
        'agent_user_id', 'user-' || lpad(s.user_no::text, greatest(4, length(s.user_no::text)), '0'),
        'agent_session_id', 'sess-' || lpad(s.session_no::text, greatest(8, length(s.session_no::text)), '0'),
        'agent_app_name', 'app-' || pick.agent
    ) END AS fields
) AS a
CROSS JOIN LATERAL (
    SELECT * FROM (VALUES
        (0, 'gpt-4o', 'gpt-4o-2024-08-06', 'openai', 2.5e-6, 1.0e-5),
        (1, 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18', 'openai', 1.5e-7, 6.0e-7),
        (2, 'claude-3-5-sonnet', 'claude-3-5-sonnet-20241022', 'anthropic', 3.0e-6, 1.5e-5),
        (3, 'claude-3-5-haiku', 'claude-3-5-haiku-20241022', 'anthropic', 8.0e-7, 4.0e-6),
        (4, 'gemini-1.5-pro', 'gemini-1.5-pro-002', 'vertex_ai', 1.25e-6, 5.0e-6),
        (5, 'o1-mini', 'o1-mini-2024-09-12', 'openai', 3.0e-6, 1.2e-5)
    ) AS models(model_no, model, response_model, provider, price_in, price_out)
    WHERE models.model_no = s.model_no
) AS m
CROSS JOIN LATERAL (
    SELECT
        -- r.req_no in every expression keeps this subquery per request, not per session.
        s.session_start + (r.req_no - 1) * (INTERVAL '5 seconds' + random() * INTERVAL '150 seconds') AS started,
        INTERVAL '300 milliseconds' + power(random(), 2) * r.req_no * INTERVAL '4 seconds' AS duration,
        random() < 0.03 + 0 * r.req_no AS failed,
        random() < 0.10 + 0 * r.req_no AS tool_only,
        random() < 0.5 + 0 * r.req_no AS streamed,
        CASE WHEN random() < 0.25 THEN 0.6 ELSE 0 END + 0 * r.req_no AS cache_share,
        150 + floor(power(random(), 2) * 6000)::int + 0 * r.req_no AS prompt,
        10 + floor(random() * 900)::int + 0 * r.req_no AS completion,
        (ARRAY['Your order shipped yesterday and should arrive on Friday. ',
               'I have reset your password; check your inbox for the link. ',
               'Here is a summary of the three papers with the key results. ',
               'The function leaks a file handle on the error path. ',
               'Refunds take 5-7 business days to appear on your statement. ',
               'The query scans the whole table; add an index on (tenant_id, created_at). '])[1 + floor(random() * 6)::int + 0 * r.req_no]
            || repeat(md5(random()::text), floor(random() * 20)::int) AS reply,
        (ARRAY['Where is my order?', 'I cannot log in.', 'Summarise these papers.',
               'Review this diff please.', 'What does the Pro plan cost?', 'Why is this query slow?'])[1 + floor(random() * 6)::int + 0 * r.req_no] AS question
) AS q;
