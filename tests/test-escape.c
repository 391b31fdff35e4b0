// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tools/escape.c: what reaches a terminal, a JSON parser and a Prometheus
 * scraper from a string another process set.
 */
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "escape.h"

struct esc_case {
	const char *in;
	const char *term, *json, *prom;
};

#define FFFD "\xef\xbf\xbd"

static const struct esc_case cases[] = {
	{ "plain", "plain", "plain", "plain" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",	/* é € 😀 pass */
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "a\nb\tc\rd", "a\\nb\\tc\\rd", "a\\nb\\tc\\rd", "a\\nb" FFFD "c" FFFD "d" },
	{ "\033]0;owned\007\033[2J", "\\x1b]0;owned\\x07\\x1b[2J",
	  "\\u001b]0;owned\\u0007\\u001b[2J", FFFD "]0;owned" FFFD FFFD "[2J" },
	{ "del\x7f", "del\\x7f", "del\\u007f", "del" FFFD },
	{ "q\"b\\", "q\"b\\\\", "q\\\"b\\\\", "q\\\"b\\\\" },
	/* C1 controls in UTF-8: CSI (U+009B) moves a cursor too */
	{ "\xc2\x9b" "2J", "\\xc2\\x9b2J", "\\u009b2J", FFFD "2J" },
	/* invalid: stray continuation, overlong, surrogate, > U+10FFFF */
	{ "\x80", "\\x80", "\\ufffd", FFFD },
	{ "\xc0\xaf", "\\xc0\\xaf", "\\ufffd\\ufffd", FFFD FFFD },
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80", "\\ufffd\\ufffd\\ufffd",
	  FFFD FFFD FFFD },
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
	  "\\ufffd\\ufffd\\ufffd\\ufffd", FFFD FFFD FFFD FFFD },
	/* a 31-byte name cut mid-character (DMA_BUF_NAME_LEN 32) */
	{ "\xc3\xa9\xc3", "\xc3\xa9\\xc3", "\xc3\xa9\\ufffd", "\xc3\xa9" FFFD },
	{ "", "", "", "" },
};

START_TEST(test_modes)
{
	const struct esc_case *c = &cases[_i];
	const char *want[] = { c->term, c->json, c->prom };
	char buf[256];
	int m;

	for (m = ESCAPE_TERMINAL; m <= ESCAPE_PROMETHEUS; m++) {
		size_t n = escape_str((enum escape_mode)m, c->in, buf,
				      sizeof(buf));

		ck_assert_str_eq(buf, want[m]);
		ck_assert_uint_eq(n, strlen(want[m]));
	}
}
END_TEST

/* a short buffer never ends inside an escape; the length is the full one */
START_TEST(test_truncation)
{
	char buf[6];
	size_t n = escape_str(ESCAPE_TERMINAL, "ab\033cd", buf, sizeof(buf));

	ck_assert_uint_eq(n, 8);	/* ab\x1bcd */
	ck_assert_str_eq(buf, "ab");
	n = escape_str(ESCAPE_JSON, "\xc3\xa9\xc3\xa9\xc3\xa9", buf,
		       sizeof(buf));
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(buf, "\xc3\xa9\xc3\xa9");
	ck_assert_uint_eq(escape_str(ESCAPE_JSON, NULL, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(escape_str(ESCAPE_JSON, "x", NULL, 0), 1);
}
END_TEST

/* every byte value, in every mode: no raw control byte comes out */
START_TEST(test_no_control_byte_out)
{
	char in[3], buf[64];
	int b, m;

	for (m = ESCAPE_TERMINAL; m <= ESCAPE_PROMETHEUS; m++) {
		for (b = 1; b < 256; b++) {
			const unsigned char *p;

			in[0] = (char)b;
			in[1] = (char)0x9b;	/* C1 after a 0xc2 lead */
			in[2] = '\0';
			escape_str((enum escape_mode)m, in, buf, sizeof(buf));
			for (p = (const unsigned char *)buf; *p; p++)
				ck_assert_msg(*p >= 0x20 && *p != 0x7f,
					      "mode %d byte %#x: raw %#x out",
					      m, b, *p);
		}
	}
}
END_TEST

START_TEST(test_fputs_matches_str)
{
	char buf[256], out[256] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(escape_fputs(ESCAPE_JSON, cases[3].in, f), 0);
	fclose(f);
	escape_str(ESCAPE_JSON, cases[3].in, buf, sizeof(buf));
	ck_assert_str_eq(out, buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_add_loop_test(tc, test_modes, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_no_control_byte_out);
	tcase_add_test(tc, test_fputs_matches_str);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
