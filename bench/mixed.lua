-- wrk script: cycles through the request paths in the file named by BENCH_PATHS (one per line)
-- and counts responses by status over all threads; done() prints one line:
--   STATUS 200=123 404=4 ... socket_errors=0
local paths = {}
local next_path = 0
counts = {}  -- global: done() reads it from each thread with thread:get
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    for line in io.lines(os.getenv("BENCH_PATHS")) do
        paths[#paths + 1] = line
    end
    next_path = math.random(#paths)
    local key = os.getenv("BENCH_API_KEY")
    if key and key ~= "" then
        wrk.headers["X-API-Key"] = key
    end
end

function request()
    next_path = next_path % #paths + 1
    return wrk.format("GET", paths[next_path])
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        local c = thread:get("counts")
        for status, n in pairs(c) do
            total[status] = (total[status] or 0) + n
        end
    end
    local keys = {}
    for status in pairs(total) do keys[#keys + 1] = status end
    table.sort(keys)
    local parts = {}
    for _, status in ipairs(keys) do parts[#parts + 1] = status .. "=" .. total[status] end
    local e = summary.errors
    parts[#parts + 1] = "socket_errors=" .. (e.connect + e.read + e.write + e.timeout)
    io.write("STATUS " .. table.concat(parts, " ") .. "\n")
end
