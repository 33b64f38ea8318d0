/* SPDX-License-Identifier: MIT */
/*
 * conf_plugstack.c - the thresholds carried in plugstack.conf: finds the idleacc block, cuts
 * its YAML out and hands it to the loader (conf.c), so that a desktop without /etc/slurm gets
 * idleacc.yaml the way it gets plugstack.conf itself.
 *
 * Why plugstack.conf: in configless mode slurmctld sends each slurmd slurm.conf,
 * plugstack.conf and a few more files, byte for byte, into SlurmdSpoolDir/conf-cache, and
 * sends them again at every `scontrol reconfigure`; it sends no file of our own and (before
 * Slurm 23.11) none named by an include line of plugstack.conf. Comment lines are the one
 * place in plugstack.conf that SPANK ignores and slurmctld keeps, so the block is YAML with
 * every line commented out:
 *
 *     # BEGIN idleacc.yaml
 *     # policy:
 *     #   idle_after: 15m
 *     # END idleacc.yaml
 *
 * Each line between the markers is empty or "#" alone (an empty YAML line), or "# " and the
 * YAML text;
 * anything else is an error at that line (a line without "#" would be read by SPANK as a
 * plugin). The YAML text is then exactly idleacc.yaml: the same keys, checks and node groups,
 * and errors point at plugstack.conf's own lines and columns.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "idle_int.h"

#define MARK_NAME "idleacc.yaml"

/* Is [s, s+n) "#", blanks, [word], blanks, "idleacc.yaml", blanks? */
static bool is_marker(const char *s, size_t n, const char *word)
{
	size_t i = 0, w = strlen(word), m = strlen(MARK_NAME);

	if (n == 0 || s[i++] != '#')
		return false;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i < w || memcmp(s + i, word, w))
		return false;
	i += w;
	if (i >= n || (s[i] != ' ' && s[i] != '\t'))
		return false;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i < m || memcmp(s + i, MARK_NAME, m))
		return false;
	for (i += m; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Only blanks (and a carriage return) after the "#" at [s]? */
static bool bare_hash(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/*
 * The cut (conf_cut_fn): one pass over the lines; those of the block are copied, without
 * their "# ", to the front of [buf] (the text only shrinks, so in place is safe).
 */
static int cut_block(struct loader *L, unsigned char *buf, size_t *len)
{
	char *s = (char *)buf, *out = (char *)buf;
	size_t pos = 0, n = *len, used = 0;
	unsigned long line = 0, begin = 0;
	bool in = false, done = false, bad = false;

	while (pos < n) {
		const char *l = s + pos, *nl = memchr(l, '\n', n - pos);
		size_t ll = nl ? (size_t)(nl - l) : n - pos; /* [buf] is not NUL-terminated */

		line++;
		pos += ll + (pos + ll < n);
		if (!in) {
			if (is_marker(l, ll, "BEGIN")) {
				if (done) {
					conf_error_line(L, line,
							"a second \"# BEGIN " MARK_NAME
							"\"; plugstack.conf holds one block");
					bad =
					    true; /* read through to its END, not reported again */
				}
				in = true;
				begin = line;
			} else if (is_marker(l, ll, "END")) {
				conf_error_line(L, line,
						"\"# END " MARK_NAME
						"\" without a \"# BEGIN " MARK_NAME "\" before it");
				bad = true;
			}
			continue;
		}
		if (is_marker(l, ll, "END")) {
			in = false;
			done = true;
			continue;
		}
		if (is_marker(l, ll, "BEGIN")) {
			conf_error_line(L, line,
					"\"# BEGIN " MARK_NAME "\" inside the block of line %lu",
					begin);
			bad = true;
			continue;
		}
		if (ll == 0 || (l[0] == '#' && bare_hash(l, ll))) {
			out[used++] = '\n';
		} else if (ll >= 2 && l[0] == '#' && l[1] == ' ') {
			memmove(out + used, l + 2, ll - 2);
			used += ll - 2;
			out[used++] = '\n';
		} else {
			conf_error_line(L, line,
					"a line of the " MARK_NAME " block must start with \"# \""
					" (SPANK would read it as a plugin)");
			bad = true;
			out[used++] = '\n'; /* keep the line count for the errors after it */
		}
	}
	if (in) {
		conf_error_line(L, begin, "no \"# END " MARK_NAME "\" after this line");
		return -1;
	}
	if (bad)
		return -1;
	if (!done)
		return 0;
	*len = used;
	/* The text's first line is the one after BEGIN, two columns in ("# "). */
	conf_embed_at(L, begin, 2);
	return 1;
}

struct idle_config *idle_config_load_plugstack(const char *path,
					       const struct idle_conf_section *own, size_t nown,
					       char *err, size_t errlen)
{
	return conf_load_cut(path, own, nown, cut_block, err, errlen);
}
