/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Escaping of strings another process sets (dma-buf names, exporter names,
 * comm, trace fields) for the tools' outputs, in one place. The input is
 * hostile: any bytes but NUL. Each mode gives output that cannot move a
 * terminal's cursor or break the format it is embedded in:
 *
 * ESCAPE_TERMINAL    valid UTF-8 as is; \\ \n \t \r \b \f as C escapes; other
 *                    control bytes (C0, DEL, C1) and each byte of an invalid
 *                    sequence as \xNN (as systemd's cescape() does). Plain
 *                    ASCII, printable UTF-8, nothing else.
 * ESCAPE_JSON        the inside of a JSON string: \" \\ \n \t \r \b \f, other
 *                    controls (C0, DEL, C1) as \u00XX, valid UTF-8 as is,
 *                    each invalid byte as \ufffd. Always valid JSON.
 * ESCAPE_PROMETHEUS  the inside of a label value of the text exposition
 *                    format: \\ \" \n (its only escapes), valid UTF-8 as
 *                    is, other controls and invalid bytes as U+FFFD (the
 *                    format has no escape for them and requires UTF-8).
 *
 * Quotes around the value are the caller's.
 */
#ifndef CMABUF_TOOLS_ESCAPE_H
#define CMABUF_TOOLS_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

enum escape_mode {
	ESCAPE_TERMINAL,
	ESCAPE_JSON,
	ESCAPE_PROMETHEUS,
};

/*
 * Like snprintf(): writes the escaped s into buf (at most size - 1 bytes
 * and a NUL; an escape sequence is never cut) and returns the length of
 * the whole escaped string. s NULL counts as "".
 */
size_t escape_str(enum escape_mode mode, const char *s, char *buf,
		  size_t size);

/* the escaped s to f; returns 0, or EOF on a write error */
int escape_fputs(enum escape_mode mode, const char *s, FILE *f);

#endif /* CMABUF_TOOLS_ESCAPE_H */
