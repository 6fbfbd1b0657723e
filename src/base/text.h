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

/* The value of hex digit c, or -1. */
int text_hexval(int c);

#endif
