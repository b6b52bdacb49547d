-- wrk script: cycles through the request paths listed (one per line) in BENCH_PATHS, each
-- request with the next of the API keys in BENCH_KEYS (comma-separated; one client per key), and
-- counts the statuses answered, so the report shows what was served and what was shed.
local paths = {}
local keys = {}
local next_path = 0
local next_key = 0
local threads = {}
statuses = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    for line in io.lines(os.getenv("BENCH_PATHS")) do
        paths[#paths + 1] = line
    end
    for key in string.gmatch(os.getenv("BENCH_KEYS") or "", "[^,]+") do
        keys[#keys + 1] = key
    end
    next_path = math.random(#paths)
    next_key = math.random(math.max(#keys, 1))
end

function request()
    next_path = next_path % #paths + 1
    local headers = {}
    if #keys > 0 then
        next_key = next_key % #keys + 1
        headers["X-API-Key"] = keys[next_key]
    end
    return wrk.format("GET", paths[next_path], headers)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        local counts = thread:get("statuses")
        for status, n in pairs(counts) do
            total[status] = (total[status] or 0) + n
        end
    end
    local line = "statuses:"
    for status, n in pairs(total) do
        line = line .. " " .. status .. "=" .. n
    end
    io.write(line .. "\n")
end
