-- wrk script: GET BENCH_PATH with the tokens in BENCH_TOKENS round robin.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local path = os.getenv("BENCH_PATH")
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1] })
end
