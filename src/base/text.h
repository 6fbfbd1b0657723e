/* text.h - byte-level text checks shared by the parsers of client input. */
#ifndef COFFER_TEXT_H
#define COFFER_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Well-formed UTF-8 without C0 controls or DEL: what may reach a database
 * text column, a header and a log line.  Rejects overlongs, surrogates and
 * code points past U+10FFFF.
 */
bool text_utf8_ok(const unsigned char *s, size_t n);

/*
 * The length (1 to 4) of the one well-formed UTF-8 sequence at the start
 * of [s, s+n), controls included; 0 when it is malformed, overlong, a
 * surrogate, past U+10FFFF or cut short (or n is 0).
 */
size_t text_utf8_seq(const unsigned char *s, size_t n);

/* The value of hex digit c, or -1. */
int text_hexval(int c);

#endif
