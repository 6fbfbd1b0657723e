-- wrk script: uploads of BENCH_SIZE bytes (a PDF libmagic recognises), as
-- multipart (BENCH_MODE=multipart) or raw PUT (BENCH_MODE=raw) or to the
-- nginx DAV sink (BENCH_MODE=sink), with the tokens in BENCH_TOKENS (one a
-- line) taken round robin: one token = one hot customer, many = spread.
local size = tonumber(os.getenv("BENCH_SIZE"))
local mode = os.getenv("BENCH_MODE")
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end

local head, tail = "%PDF-1.4\n%\226\227\207\211\n", "\n%%EOF\n"
local pdf = head .. string.rep("0", size - #head - #tail) .. tail
local boundary = "----cofferbench7d0f3a"
local body, path, method, ctype
if mode == "multipart" then
  body = "--" .. boundary .. "\r\n"
    .. "Content-Disposition: form-data; name=\"category\"\r\n\r\ndocuments\r\n"
    .. "--" .. boundary .. "\r\n"
    .. "Content-Disposition: form-data; name=\"subcategory\"\r\n\r\ninvoices\r\n"
    .. "--" .. boundary .. "\r\n"
    .. "Content-Disposition: form-data; name=\"file\"; filename=\"bench.pdf\"\r\n"
    .. "Content-Type: application/pdf\r\n\r\n" .. pdf .. "\r\n--" .. boundary .. "--\r\n"
  method, path = "POST", "/api/storage/upload"
  ctype = "multipart/form-data; boundary=" .. boundary
elseif mode == "raw" then
  body, method, ctype = pdf, "PUT", "application/octet-stream"
  path = "/api/storage/files?category=documents&subcategory=invoices&name=bench.pdf"
else
  -- The ceiling: nginx alone takes the same multipart-sized body into a
  -- temp file (and renames it into place, as DAV PUT does).
  body, method, ctype = pdf, "PUT", "application/octet-stream"
  path = "/bench/sink/upload"
end

local n = 0
request = function()
  n = n + 1
  local h = { ["Content-Type"] = ctype, ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1] }
  return wrk.format(method, path, h, body)
end
