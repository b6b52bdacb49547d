-- GET /total-tokens: requests and summed prompt/completion tokens over the whole window.
SELECT
    COUNT(*) AS messages,
    COALESCE(SUM(l.prompt_tokens), 0)::bigint AS prompt_tokens,
    COALESCE(SUM(l.completion_tokens), 0)::bigint AS completion_tokens
FROM "LiteLLM_SpendLogs" AS l
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" <= $4
