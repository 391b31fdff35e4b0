// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One escaping helper for every view of the tools (see escape.h): the
 * input is what any process may set, the output goes to root's terminal,
 * to a JSON parser or to a Prometheus scraper.
 */
#include <stdbool.h>
#include <string.h>

#include "escape.h"

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

static bool cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Length of the valid UTF-8 sequence at s (1 to 4), or 0: no overlong
 * forms, no surrogates, nothing above U+10FFFF. s is NUL-terminated, and
 * a NUL is no continuation byte, so no read runs past it.
 */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return cont(s[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
		return s[1] >= lo && s[1] <= hi && cont(s[2]) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
		return s[1] >= lo && s[1] <= hi && cont(s[2]) && cont(s[3]) ?
		       4 : 0;
	}
	return 0;
}

/* the letter of a C (and JSON) escape for cp, 0 if it has none */
static char c_escape(unsigned int cp)
{
	switch (cp) {
	case '\n':
		return 'n';
	case '\t':
		return 't';
	case '\r':
		return 'r';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	}
	return 0;
}

/* a control character (C0, DEL, or C1 as U+0080..U+009F) of code cp */
static void escape_control(enum escape_mode mode, unsigned int cp,
			   char *tok)
{
	char letter = c_escape(cp);

	if (mode == ESCAPE_PROMETHEUS)
		strcpy(tok, cp == '\n' ? "\\n" : REPLACEMENT);
	else if (letter)
		snprintf(tok, 4, "\\%c", letter);
	else if (mode == ESCAPE_JSON)
		snprintf(tok, 8, "\\u%04x", cp);
	else if (cp >= 0x80)	/* C1: its two UTF-8 bytes */
		snprintf(tok, 12, "\\xc2\\x%02x", cp);
	else
		snprintf(tok, 8, "\\x%02x", cp);
}

/*
 * The escape of the character at s into tok (NUL-terminated, at most 12
 * bytes); returns how many input bytes it stands for.
 */
static size_t escape_one(enum escape_mode mode, const unsigned char *s,
			 char *tok)
{
	size_t n = utf8_seq(s);

	if (n == 0) {		/* one byte of an invalid sequence */
		if (mode == ESCAPE_TERMINAL)
			snprintf(tok, 8, "\\x%02x", s[0]);
		else if (mode == ESCAPE_JSON)
			strcpy(tok, "\\ufffd");
		else
			strcpy(tok, REPLACEMENT);
		return 1;
	}
	if (s[0] < 0x20 || s[0] == 0x7f) {
		escape_control(mode, s[0], tok);
		return 1;
	}
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
		escape_control(mode, s[1], tok);
		return 2;
	}
	if (s[0] == '\\' || (s[0] == '"' && mode != ESCAPE_TERMINAL)) {
		tok[0] = '\\';
		tok[1] = (char)s[0];
		tok[2] = '\0';
		return 1;
	}
	memcpy(tok, s, n);
	tok[n] = '\0';
	return n;
}

size_t escape_str(enum escape_mode mode, const char *s, char *buf,
		  size_t size)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = 0, used = 0;
	bool full = false;
	char tok[16];

	while (*p) {
		size_t t;

		p += escape_one(mode, p, tok);
		t = strlen(tok);
		/* a token that does not fit ends the copy: never half of one */
		if (!full && size && used + t < size) {
			memcpy(buf + used, tok, t);
			used += t;
		} else {
			full = true;
		}
		len += t;
	}
	if (size)
		buf[used] = '\0';
	return len;
}

int escape_fputs(enum escape_mode mode, const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char tok[16];

	while (*p) {
		p += escape_one(mode, p, tok);
		if (fputs(tok, f) == EOF)
			return EOF;
	}
	return 0;
}
