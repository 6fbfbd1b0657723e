/* text.c - UTF-8 validation and hex digits, written once for every parser. */
#include "config.h"

#include <stdint.h>

#include "base/text.h"

size_t
text_utf8_seq(const unsigned char *s, size_t n)
{
	size_t k, len;
	uint32_t cp, min;

	if (n == 0)
		return 0;
	cp = s[0];
	if (cp < 0x80)
		return 1;
	if ((cp & 0xe0) == 0xc0) {
		len = 2; cp &= 0x1f; min = 0x80;
	} else if ((cp & 0xf0) == 0xe0) {
		len = 3; cp &= 0x0f; min = 0x800;
	} else if ((cp & 0xf8) == 0xf0) {
		len = 4; cp &= 0x07; min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool
text_utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if ((len = text_utf8_seq(s + i, n - i)) == 0)
			return false;
		i += len;
	}
	return true;
}

int
text_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
