/* replay.c: main() for the plain (non-libFuzzer) build of a harness: feeds
 * every regular file of each directory argument (or each file argument)
 * to LLVMFuzzerTestOneInput once, in name order. `make check` runs it on
 * the harness's corpus, so every input that once crashed stays fixed.
 * Without arguments it replays FUZZ_CORPUS (set at build time to the
 * harness's fuzz/corpus/NAME). Exit status 0, or 1 when a file or
 * directory cannot be read. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads a whole file (owned *out, *len); 0 or -errno. */
static int slurp(const char *path, uint8_t **out, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if (!fp)
		return -errno;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(fp);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return -EIO;
	}
	fclose(fp);
	*out = buf;
	*len = n;
	return 0;
}

/* Feeds one file; returns 0 or -errno. */
static int run_file(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = slurp(path, &buf, &len);

	if (rc < 0)
		return rc;
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

/* Keeps hidden files (.gitignore, editor droppings) out of the replay. */
static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	struct dirent **ents;
	struct stat st;
	char path[4096];
	int i, j, n, rc, bad = 0;
	long fed = 0;
#ifdef FUZZ_CORPUS
	char *dflt[] = {argv[0], (char *)FUZZ_CORPUS, NULL};

	if (argc < 2) {
		argc = 2;
		argv = dflt;
	}
#endif

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc = run_file(argv[i]);
			if (rc < 0) {
				fprintf(stderr, "%s: %s\n", argv[i], strerror(-rc));
				bad = 1;
			} else {
				fed++;
			}
			continue;
		}
		n = scandir(argv[i], &ents, visible, alphasort);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		for (j = 0; j < n; j++) {
			snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				rc = run_file(path);
				if (rc < 0) {
					fprintf(stderr, "%s: %s\n", path, strerror(-rc));
					bad = 1;
				} else {
					fed++;
				}
			}
			free(ents[j]);
		}
		free(ents);
	}
	printf("replayed %ld inputs\n", fed);
	if (fed == 0) {
		/* An empty or missing corpus would pass with nothing tested. */
		fprintf(stderr, "no input replayed: the corpus is empty\n");
		return 1;
	}
	return bad;
}
