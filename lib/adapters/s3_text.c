/* s3_text.c - S3's pure half: object keys (checked, URL-encoded) and the
 * few XML answers the uploads read (s3.h).  No I/O: unit-tested alone
 * (t/unit/adapters/test_s3.c) and fuzzed (fuzz_s3xml).
 * Layer: adapters (README, "Map of the code"). */
#include "s3.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* ------------------------------------------------------------- keys */

int s3_key_valid(const char *key, struct err *e)
{
	size_t n, i, seg;

	if (!key || !*key)
		return err_set(e, ERR_INVAL, "S3 key is empty");
	n = strlen(key);
	if (n > S3_KEY_MAX)
		return err_set(e, ERR_INVAL, "S3 key longer than %d bytes",
			       S3_KEY_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7e)
			return err_set(e, ERR_INVAL, "S3 key: byte %zu is not "
				       "printable ASCII", i);
	if (key[0] == '/')
		return err_set(e, ERR_INVAL, "S3 key %.200s starts with '/'",
			       key);
	if (key[n - 1] == '/')
		return err_set(e, ERR_INVAL, "S3 key %.200s ends with '/'", key);
	if (strstr(key, "//"))
		return err_set(e, ERR_INVAL, "S3 key %.200s has an empty "
			       "segment (\"//\")", key);
	for (i = 0; i <= n; i = seg + 1) {
		seg = i + strcspn(key + i, "/");
		if ((seg - i == 1 && key[i] == '.') ||
		    (seg - i == 2 && key[i] == '.' && key[i + 1] == '.'))
			return err_set(e, ERR_INVAL, "S3 key %.200s has a \".\" "
				       "or \"..\" segment", key);
	}
	return 0;
}

/* Percent-encodes s (n bytes) into out; keep_slash leaves '/' as is (a
 * path) or encodes it (a query value).  -1 if it does not fit. */
int s3_url_encode(const char *s, size_t n, int keep_slash, char *out,
		  size_t outsz)
{
	static const char up[] = "0123456789ABCDEF";
	size_t i, o = 0;
	unsigned char c;

	if (outsz == 0)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
		    (keep_slash && c == '/')) {
			if (o + 1 >= outsz)
				goto full;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outsz)
				goto full;
			out[o++] = '%';
			out[o++] = up[c >> 4];
			out[o++] = up[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
full:
	out[0] = '\0';
	return -1;
}

int s3_key_encode(const char *key, char *out, size_t outsz)
{
	return s3_url_encode(key, strlen(key), 1, out, outsz);
}

/* ------------------------------------------------------------- XML */

/* The position of the first element <name ...> or <name/> in [p, end):
 * p points at its '<'; NULL if none. */
const char *s3_xml_find(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);
	const char *q;

	while (p < end && (q = memchr(p, '<', (size_t)(end - p)))) {
		if ((size_t)(end - q) > nl + 1 && memcmp(q + 1, name, nl) == 0 &&
		    (q[nl + 1] == '>' || q[nl + 1] == '/' || q[nl + 1] == ' ' ||
		     q[nl + 1] == '\t' || q[nl + 1] == '\r' || q[nl + 1] == '\n'))
			return q;
		p = q + 1;
	}
	return NULL;
}

/* Puts code point cp as UTF-8 at out[*o]; -1 if invalid or no room. */
static int put_utf8(unsigned long cp, char *out, size_t outsz, size_t *o)
{
	unsigned char b[4];
	size_t k, n;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 63));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 63));
		b[2] = (unsigned char)(0x80 | (cp & 63));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 63));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 63));
		b[3] = (unsigned char)(0x80 | (cp & 63));
		n = 4;
	}
	if (*o + n >= outsz)
		return -1;
	for (k = 0; k < n; k++)
		out[(*o)++] = (char)b[k];
	return 0;
}

/* Decodes the entity at p (after the '&', up to end); *used gets its
 * length including the ';'.  -1 if unknown or malformed. */
static int put_entity(const char *p, const char *end, char *out, size_t outsz,
		      size_t *o, size_t *used)
{
	static const struct {
		const char *name;
		char c;
	} named[] = { { "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' },
		      { "quot;", '"' }, { "apos;", '\'' } };
	unsigned long cp = 0;
	size_t i, len = (size_t)(end - p), digits = 0;
	int base = 10;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t nl = strlen(named[i].name);

		if (len >= nl && memcmp(p, named[i].name, nl) == 0) {
			*used = nl;
			return put_utf8((unsigned char)named[i].c, out, outsz, o);
		}
	}
	if (len < 3 || p[0] != '#')
		return -1;
	i = 1;
	if (p[1] == 'x') {
		base = 16;
		i = 2;
	}
	for (; i < len && p[i] != ';'; i++, digits++) {
		int d;
		unsigned char c = (unsigned char)p[i];

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && isxdigit(c))
			d = tolower(c) - 'a' + 10;
		else
			return -1;
		if (digits >= 8)
			return -1;
		cp = cp * (unsigned long)base + (unsigned long)d;
	}
	if (i >= len || digits == 0)
		return -1;
	*used = i + 1;
	return put_utf8(cp, out, outsz, o);
}

int s3_xml_text(const char *xml, size_t n, const char *name, char *out,
		size_t outsz)
{
	const char *end = xml + n, *p, *gt, *close;
	size_t nl = strlen(name), o = 0, used;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	p = s3_xml_find(xml, end, name);
	if (!p)
		return 0;
	gt = memchr(p, '>', (size_t)(end - p));
	if (!gt)
		return -1;
	if (gt[-1] == '/')
		return 1; /* <name/> */
	for (p = gt + 1; p < end && *p != '<'; p++) {
		if (*p == '\0') {
			out[0] = '\0';
			return -1;
		}
		if (*p == '&') {
			if (put_entity(p + 1, end, out, outsz, &o, &used) < 0) {
				out[0] = '\0';
				return -1;
			}
			p += used;
			continue;
		}
		if (o + 1 >= outsz) {
			out[0] = '\0';
			return -1;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	close = p;
	if ((size_t)(end - close) < nl + 3 || close[1] != '/' ||
	    memcmp(close + 2, name, nl) != 0 || close[nl + 2] != '>') {
		out[0] = '\0';
		return -1; /* unterminated, or markup inside */
	}
	return 1;
}

/* The end of the element whose start tag begins at p: the '>' of its
 * "</name>", or NULL. */
static const char *elem_end(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);
	const char *q;

	for (q = p; q < end && (q = memchr(q, '<', (size_t)(end - q))); q++)
		if ((size_t)(end - q) >= nl + 3 && q[1] == '/' &&
		    memcmp(q + 2, name, nl) == 0 && q[nl + 2] == '>')
			return q + nl + 2;
	return NULL;
}

int s3_xml_uploads(const char *xml, size_t n,
		   int (*fn)(const char *key, const char *upload_id, void *arg),
		   void *arg)
{
	const char *end = xml + n, *p, *e;
	char key[S3_KEY_MAX + 1], id[S3_UPLOAD_ID_MAX + 1];
	int count = 0;

	p = s3_xml_find(xml, end, "ListMultipartUploadsResult");
	if (!p || !elem_end(p, end, "ListMultipartUploadsResult"))
		return -1;
	while ((p = s3_xml_find(p, end, "Upload"))) {
		if (!(e = elem_end(p, end, "Upload")))
			return -1;
		if (s3_xml_text(p, (size_t)(e - p), "Key", key, sizeof(key)) != 1 ||
		    s3_xml_text(p, (size_t)(e - p), "UploadId", id, sizeof(id)) != 1)
			return -1;
		count++;
		if (fn && fn(key, id, arg) != 0)
			break;
		p = e;
	}
	return count;
}

