// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pure parsers of /proc and /sys statistics files (see stats-private.h).
 * They never trust the text: every value is range-checked, every copy is
 * bounded, a line without its newline is treated as truncated.
 */
#include <errno.h>
#include <string.h>

#include "stats-private.h"

/* decimal digits at *p (at most end), into *val; false on none/overflow */
static bool scan_u64(const char **p, const char *end, uint64_t *val)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*val = v;
	return true;
}

static bool scan_hex(const char **p, const char *end, uint64_t *val)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	for (; s < end; s++, n++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			break;
		if (n >= 16)
			return false;
		v = v << 4 | d;
	}
	if (n == 0)
		return false;
	*p = s;
	*val = v;
	return true;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

int parse_u64_value(const char *buf, size_t len, uint64_t *val)
{
	const char *p = buf, *end = buf + len;
	uint64_t v;

	if (!buf || !scan_u64(&p, end, &v))
		return -EINVAL;
	if (p < end && *p == '\n')
		p++;
	if (p != end)
		return -EINVAL;
	*val = v;
	return 0;
}

static void parse_keyed_line(const char *line, const char *end,
			     const char *const *keys, size_t nkeys,
			     uint64_t *vals, uint64_t *present)
{
	const char *p = line;
	size_t i, klen;
	uint64_t v;

	while (p < end && *p != ':' && *p != ' ' && *p != '\t')
		p++;
	klen = (size_t)(p - line);
	if (klen == 0)
		return;
	if (p < end && *p == ':')
		p++;
	p = skip_blanks(p, end);
	if (!scan_u64(&p, end, &v))
		return;
	p = skip_blanks(p, end);
	if (end - p >= 2 && p[0] == 'k' && p[1] == 'B')
		p += 2;
	if (p != end)
		return;
	for (i = 0; i < nkeys && i < 64; i++) {
		if (strlen(keys[i]) == klen && memcmp(keys[i], line, klen) == 0) {
			vals[i] = v;
			*present |= UINT64_C(1) << i;
			return;
		}
	}
}

void parse_keyed_lines(const char *buf, size_t len, const char *const *keys,
		       size_t nkeys, uint64_t *vals, uint64_t *present)
{
	const char *p = buf, *end = buf + len;

	if (!buf)
		return;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break;	/* truncated last line */
		parse_keyed_line(p, nl, keys, nkeys, vals, present);
		p = nl + 1;
	}
}

/* copy [p, end) into dst of size dstsz, bounded and NUL-terminated */
static void copy_field(char *dst, size_t dstsz, const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static bool key_is(const char *line, const char *end, const char *key,
		   const char **value)
{
	size_t klen = strlen(key);

	if ((size_t)(end - line) <= klen || memcmp(line, key, klen) != 0 ||
	    line[klen] != ':')
		return false;
	*value = skip_blanks(line + klen + 1, end);
	return true;
}

static bool value_u64(const char *p, const char *end, uint64_t *val)
{
	return scan_u64(&p, end, val) && skip_blanks(p, end) == end;
}

/*
 * The kernel's name line (dma_buf_show_fdinfo() prints it last): the first
 * line starting with "name:". Returns its start, or end when there is none.
 */
static const char *fdinfo_name_line(const char *buf, const char *end)
{
	const char *p = buf;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if ((size_t)(end - p) >= 5 && memcmp(p, "name:", 5) == 0)
			return p;
		if (!nl)
			break;
		p = nl + 1;
	}
	return end;
}

/* the name runs to the end of the file, newlines included */
static void fdinfo_name(const char *line, const char *end, char *dst,
			size_t dstsz)
{
	const char *v = line + 5;

	if (v < end && *v == '\t')
		v++;
	if (end > v && end[-1] == '\n')
		end--;		/* the kernel's own newline */
	copy_field(dst, dstsz, v, end);
}

int parse_fdinfo_dmabuf(const char *buf, size_t len,
			struct fdinfo_dmabuf *out)
{
	const char *p = buf, *end = buf + len, *name, *v;
	bool has_size = false, has_exp = false;
	bool seen_ino = false, seen_size = false, seen_count = false;
	bool seen_exp = false;

	if (!buf || !out)
		return 0;
	memset(out, 0, sizeof(*out));
	/*
	 * DMA_BUF_SET_NAME takes any bytes, newlines included: a name can
	 * hold "size:" or "ino:" lines of its own. Only the text before
	 * the name line is the kernel's, and there the first line of each
	 * key counts.
	 */
	name = fdinfo_name_line(buf, end);
	while (p < name) {
		const char *nl = memchr(p, '\n', (size_t)(name - p));

		if (!nl)
			break;
		if (!seen_ino && key_is(p, nl, "ino", &v)) {
			out->has_ino = value_u64(v, nl, &out->ino);
			seen_ino = true;
		} else if (!seen_size && key_is(p, nl, "size", &v)) {
			has_size = value_u64(v, nl, &out->size);
			seen_size = true;
		} else if (!seen_count && key_is(p, nl, "count", &v)) {
			out->has_count = value_u64(v, nl, &out->count);
			seen_count = true;
		} else if (!seen_exp && key_is(p, nl, "exp_name", &v)) {
			copy_field(out->exp_name, sizeof(out->exp_name), v, nl);
			has_exp = v < nl;
			seen_exp = true;
		}
		p = nl + 1;
	}
	if (name < end && has_exp)
		fdinfo_name(name, end, out->name, sizeof(out->name));
	return has_size && has_exp;
}

size_t parse_maps_line(const char *buf, size_t len, bool *is_file,
		       struct maps_entry *out)
{
	const char *p = buf, *end, *nl;
	static const char tag[] = "/dmabuf:";
	uint64_t start, stop, major, minor, ino;
	int field;

	*is_file = false;
	if (!buf || len == 0)
		return 0;
	nl = memchr(buf, '\n', len);
	if (!nl)
		return len;	/* truncated: consume, ignore */
	end = nl;
	/* start-end perms offset major:minor inode path */
	if (!scan_hex(&p, end, &start) || p >= end || *p++ != '-' ||
	    !scan_hex(&p, end, &stop) || stop < start)
		goto out;
	for (field = 0; field < 2; field++) {	/* perms, offset */
		p = skip_blanks(p, end);
		while (p < end && *p != ' ' && *p != '\t')
			p++;
	}
	/* the device is the kernel's word for which filesystem it is */
	p = skip_blanks(p, end);
	if (!scan_hex(&p, end, &major) || p >= end || *p++ != ':' ||
	    !scan_hex(&p, end, &minor) || major > UINT32_MAX ||
	    minor > UINT32_MAX || p >= end || (*p != ' ' && *p != '\t'))
		goto out;
	p = skip_blanks(p, end);
	if (!scan_u64(&p, end, &ino) || ino == 0)
		goto out;
	p = skip_blanks(p, end);
	out->start = start;
	out->end = stop;
	out->major = (uint32_t)major;
	out->minor = (uint32_t)minor;
	out->ino = ino;
	out->name[0] = '\0';
	/* the path is text any process can choose: a label, never proof */
	if ((size_t)(end - p) >= sizeof(tag) - 1 &&
	    memcmp(p, tag, sizeof(tag) - 1) == 0)
		copy_field(out->name, sizeof(out->name),
			   p + sizeof(tag) - 1, end);
	*is_file = true;
out:
	return (size_t)(nl - buf) + 1;
}

int parse_heap_list_line(const char *line, size_t len, char *name,
			 size_t namesz, uint32_t *mode, uint32_t *uid,
			 uint32_t *gid)
{
	const char *p = line, *end = line + len, *tok;
	uint64_t m = 0, u, g;

	if (!line || namesz == 0)
		return -EINVAL;
	p = skip_blanks(p, end);
	if (p == end || *p == '#' || *p == '\n')
		return -EINVAL;
	tok = p;
	while (p < end && *p != ' ' && *p != '\t' && *p != '\n')
		p++;
	if ((size_t)(p - tok) >= namesz)
		return -EINVAL;
	copy_field(name, namesz, tok, p);
	p = skip_blanks(p, end);
	/* mode is octal, written with a leading 0 */
	if (p == end || *p < '0' || *p > '7')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '7'; p++) {
		m = m * 8 + (uint64_t)(*p - '0');
		if (m > 07777)
			return -EINVAL;
	}
	if (p == end || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	p = skip_blanks(p, end);
	if (!scan_u64(&p, end, &u) || u > UINT32_MAX ||
	    p == end || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	p = skip_blanks(p, end);
	if (!scan_u64(&p, end, &g) || g > UINT32_MAX ||
	    (p < end && *p != ' ' && *p != '\t' && *p != '\n'))
		return -EINVAL;
	*mode = (uint32_t)m;
	*uid = (uint32_t)u;
	*gid = (uint32_t)g;
	return 0;
}
