// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * check-views: validate cmabuf-stat's machine-readable outputs, in C so
 * that the same checker runs on the build host and in guests that have no
 * python3 and no bash (busybox only).
 *
 *   check-views --json FILE|-        strict JSON (json-c, no trailing
 *                                    bytes, valid UTF-8, no raw control
 *                                    byte) with cmabuf-stat's schema 1
 *   check-views --prometheus FILE|-  the text exposition format 0.0.4
 *                                    line by line: HELP/TYPE lines, name
 *                                    and label charsets, the three label
 *                                    escapes, numeric values, one TYPE
 *                                    per family before its samples, no
 *                                    family split apart, counters named
 *                                    *_total and never negative, a
 *                                    quantile label only on a summary,
 *                                    _sum/_count/_bucket samples only
 *                                    of a summary or histogram (the
 *                                    rules promtool check metrics lints,
 *                                    for the arm64 guests that cannot
 *                                    run promtool), UTF-8 only
 *
 * Exit 0 with "ok: ..." on stdout, 1 with the offending line on stderr,
 * 2 on bad usage.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define MAX_FAMILIES 1024

static const char *where = "<stdin>";

static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);

	if (!f || !buf) {
		fprintf(stderr, "check-views: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap + 1);
		if (!buf)
			exit(1);
	}
	if (ferror(f)) {
		fprintf(stderr, "check-views: %s: read error\n", path);
		exit(1);
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int fail(size_t line, const char *why, const char *text, size_t len)
{
	fprintf(stderr, "%s:%zu: %s: %.*s\n", where, line, why,
		(int)(len > 200 ? 200 : len), text);
	return 1;
}

/* length of the valid UTF-8 sequence at s (before end), 0 if invalid */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* UTF-8 throughout, no control byte but the newlines */
static int check_bytes(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	size_t line = 1;

	while (p < end) {
		size_t n = utf8_seq(p, end);

		if (n == 0)
			return fail(line, "invalid UTF-8", (const char *)p, 8);
		if (*p == '\n')
			line++;
		else if (*p < 0x20 || *p == 0x7f ||
			 (n == 2 && p[0] == 0xc2 && p[1] < 0xa0))
			return fail(line, "raw control byte", (const char *)p,
				    8);
		p += n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

/* json-c takes a raw control byte inside a string even when strict */
static int check_json_strings(const char *text, size_t len)
{
	bool in_str = false;
	size_t i, line = 1;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n')
			line++;
		if (in_str && c < 0x20)
			return fail(line, "raw control byte in a string",
				    text + i, len - i);
		if (in_str && c == '\\')
			i++;	/* the escaped byte cannot end the string */
		else if (c == '"')
			in_str = !in_str;
	}
	return 0;
}

static int check_schema(struct json_object *root)
{
	static const char *const members[] = {
		"system", "dmabuf", "areas", "heaps", "buffers", "processes",
	};
	struct json_object *v;
	size_t i;

	if (!json_object_is_type(root, json_type_object))
		return fail(1, "not a JSON object", "", 0);
	if (!json_object_object_get_ex(root, "schema_version", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int(v) != 1)
		return fail(1, "schema_version is not 1", "", 0);
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (!json_object_object_get_ex(root, members[i], &v))
			return fail(1, "schema member missing", members[i],
				    strlen(members[i]));
	return 0;
}

static int check_json(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root;
	enum json_tokener_error e;
	size_t end;
	int ret;

	if (check_bytes(text, len) || check_json_strings(text, len))
		return 1;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || e != json_tokener_success) {
		json_object_put(root);
		return fail(1, json_tokener_error_desc(e), text + end,
			    len - end);
	}
	while (end < len && isspace((unsigned char)text[end]))
		end++;
	ret = end < len ? fail(1, "trailing bytes", text + end, len - end) :
			  check_schema(root);
	json_object_put(root);
	if (ret == 0)
		printf("ok: valid JSON, schema_version 1\n");
	return ret;
}

/* ------------------------------------------------------------------ */
/* Prometheus text exposition format 0.0.4                             */
/* ------------------------------------------------------------------ */

struct family {
	char name[128];
	char type[16];
	bool help, sampled, closed;
};

struct prom {
	struct family fam[MAX_FAMILIES];
	size_t nfam;
	struct family *last;	/* family of the previous sample */
	size_t samples;
};

static bool name_char(char c, bool first, bool colon)
{
	if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	if (colon && c == ':')
		return true;
	return !first && c >= '0' && c <= '9';
}

/* a metric (colon) or label name at *p; its length, 0 if none */
static size_t scan_name(const char *p, const char *end, bool colon)
{
	const char *s = p;

	while (s < end && name_char(*s, s == p, colon))
		s++;
	return (size_t)(s - p);
}

static struct family *family(struct prom *pr, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < pr->nfam; i++)
		if (strlen(pr->fam[i].name) == n &&
		    memcmp(pr->fam[i].name, name, n) == 0)
			return &pr->fam[i];
	if (pr->nfam == MAX_FAMILIES || n >= sizeof(pr->fam[0].name))
		return NULL;
	memcpy(pr->fam[pr->nfam].name, name, n);
	return &pr->fam[pr->nfam++];
}

/* "# HELP name text" or "# TYPE name type"; other comments pass */
static const char *comment_line(struct prom *pr, const char *p,
				const char *end)
{
	static const char *const types[] = {
		"counter", "gauge", "histogram", "summary", "untyped",
	};
	bool is_type = end - p > 7 && memcmp(p, "# TYPE ", 7) == 0;
	bool is_help = end - p > 7 && memcmp(p, "# HELP ", 7) == 0;
	struct family *f;
	size_t n, i;

	if (!is_type && !is_help)
		return NULL;
	p += 7;
	n = scan_name(p, end, true);
	if (n == 0 || (p + n < end && p[n] != ' '))
		return "bad metric name";
	f = family(pr, p, n);
	if (!f)
		return "too many families";
	p += n;
	if (is_help) {
		if (f->help)
			return "second HELP for a family";
		f->help = true;
		return NULL;
	}
	if (f->sampled)
		return "TYPE after samples";
	if (f->type[0])
		return "second TYPE for a family";
	if (p == end || *p++ != ' ')
		return "bad TYPE";
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((size_t)(end - p) == strlen(types[i]) &&
		    memcmp(p, types[i], (size_t)(end - p)) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0]))
		return "bad TYPE";
	snprintf(f->type, sizeof(f->type), "%s", types[i]);
	return NULL;
}

/* {name="value",...} at *pp: only \\ \" \n escapes in values */
static const char *labels(const char **pp, const char *end)
{
	const char *p = *pp + 1;

	while (p < end && *p != '}') {
		size_t n = scan_name(p, end, false);

		if (n == 0)
			return "bad label name";
		p += n;
		if (end - p < 2 || p[0] != '=' || p[1] != '"')
			return "label without =\"";
		for (p += 2; p < end && *p != '"'; p++)
			if (*p == '\\' && (++p == end ||
					   (*p != '\\' && *p != '"' && *p != 'n')))
				return "bad escape in a label value";
		if (p == end)
			return "unterminated label value";
		p++;
		if (p < end && *p == ',')
			p++;
	}
	if (p == end)
		return "unterminated label set";
	*pp = p + 1;
	return NULL;
}

static bool number(const char *p, size_t n)
{
	char buf[64], *e;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (!strcmp(buf, "NaN") || !strcmp(buf, "+Inf") || !strcmp(buf, "-Inf"))
		return true;
	errno = 0;
	strtod(buf, &e);
	return *e == '\0' && errno == 0 && !isspace((unsigned char)buf[0]);
}

/* the summary or histogram that owns a _sum, _count or _bucket sample */
static struct family *owner(struct prom *pr, const char *name, size_t n)
{
	static const char *const sfx[] = { "_sum", "_count", "_bucket" };
	size_t i, k, m;

	for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
		m = strlen(sfx[k]);
		if (n <= m || memcmp(name + n - m, sfx[k], m))
			continue;
		for (i = 0; i < pr->nfam; i++) {
			struct family *f = &pr->fam[i];

			if (strlen(f->name) == n - m &&
			    !memcmp(f->name, name, n - m) &&
			    (!strcmp(f->type, "summary") ||
			     !strcmp(f->type, "histogram")) &&
			    (k != 2 || !strcmp(f->type, "histogram")))
				return f;
		}
	}
	return NULL;
}

/* where a quantile label sits, it must be a summary's plain sample */
static const char *quantile_rule(const struct family *f, bool suffixed,
				 const char *p, const char *end)
{
	const char *q = p;
	bool has = false;

	while ((q = memchr(q, 'q', (size_t)(end - q)))) {
		if ((q[-1] == '{' || q[-1] == ',') && end - q > 10 &&
		    !memcmp(q, "quantile=\"", 10))
			has = true;
		q++;
	}
	if (has && (strcmp(f->type, "summary") || suffixed))
		return "quantile label outside a summary's quantiles";
	if (!has && !strcmp(f->type, "summary") && !suffixed)
		return "summary sample without a quantile label";
	return NULL;
}

static const char *sample_line(struct prom *pr, const char *p,
			       const char *end)
{
	size_t n = scan_name(p, end, true);
	const char *v, *err, *start = p;
	struct family *f;
	bool suffixed = false;

	if (n == 0)
		return "not a sample line";
	f = owner(pr, p, n);
	if (f)
		suffixed = true;
	else
		f = family(pr, p, n);
	if (!f || !f->type[0])
		return "sample without a TYPE line";
	if (!strcmp(f->type, "counter") &&
	    (n < 6 || memcmp(p + n - 6, "_total", 6) != 0))
		return "counter name must end in _total";
	if (f->closed)
		return "family split apart";
	if (pr->last && pr->last != f)
		pr->last->closed = true;
	pr->last = f;
	f->sampled = true;
	p += n;
	if (p < end && *p == '{' && (err = labels(&p, end)))
		return err;
	if ((err = quantile_rule(f, suffixed, start + n, p)))
		return err;
	if (p == end || *p++ != ' ')
		return "no value";
	v = memchr(p, ' ', (size_t)(end - p));
	if (!number(p, (size_t)((v ? v : end) - p)))
		return "value is not a number";
	if (!strcmp(f->type, "counter") && (*p == '-' || !memcmp(p, "NaN", 3)))
		return "a counter is never negative";
	if (v) {		/* an optional integer timestamp */
		const char *t = v + 1 + (v + 1 < end && v[1] == '-');

		if (t == end)
			return "bad timestamp";
		for (; t < end; t++)
			if (*t < '0' || *t > '9')
				return "bad timestamp";
	}
	pr->samples++;
	return NULL;
}

static int check_prometheus(const char *text, size_t len)
{
	struct prom *pr = calloc(1, sizeof(*pr));
	const char *p = text, *end = text + len;
	size_t line = 0;

	if (!pr || check_bytes(text, len))
		return 1;
	if (len && text[len - 1] != '\n')
		return fail(0, "no newline at the end", "", 0);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *why;

		line++;
		if (nl == p)
			why = NULL;
		else if (*p == '#')
			why = comment_line(pr, p, nl);
		else
			why = sample_line(pr, p, nl);
		if (why) {
			free(pr);
			return fail(line, why, p, (size_t)(nl - p));
		}
		p = nl + 1;
	}
	line = pr->samples;
	free(pr);
	if (line == 0)
		return fail(0, "no samples", "", 0);
	printf("ok: valid Prometheus text format, %zu samples\n", line);
	return 0;
}

int main(int argc, char **argv)
{
	char *text;
	size_t len;
	int ret;

	if (argc != 3 || (strcmp(argv[1], "--json") &&
			  strcmp(argv[1], "--prometheus"))) {
		fprintf(stderr, "usage: check-views --json|--prometheus "
			"FILE|-\n");
		return 2;
	}
	if (strcmp(argv[2], "-"))
		where = argv[2];
	text = slurp(argv[2], &len);
	ret = strcmp(argv[1], "--json") ? check_prometheus(text, len) :
					  check_json(text, len);
	free(text);
	return ret;
}
