/* cmd-snapshot.c: the 'snapshot' command: capture what the probe reads into a tree. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "fmt.h"
#include "snapshot.h"

/* Defined in cmd-probe.c: --interval parsing shared by probe and snapshot. */

/* Prints a file the snapshot did not copy. */
static void snapshot_note(void *ctx, const char *path, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "headroom snapshot: %s: %s\n", path, msg);
}

/* Parses the options and writes the snapshot. */
static int snapshot_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"interval", required_argument, NULL, 'i'},
		{"force", no_argument, NULL, 'F'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	struct hr_snapshot_opts so = {.note = snapshot_note, .progress = hr_fmt_progress_sample};
	struct hr_snapshot_stats st;
	struct hr_err err = {0};
	bool quiet = false;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:i:Fq", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			so.out = optarg;
			break;
		case 'i':
			if (!hr_cmd_parse_interval("snapshot", optarg, &so.interval_s))
				return HR_EXIT_USAGE;
			break;
		case 'F':
			so.force = true;
			break;
		case 'q':
			quiet = true;
			so.progress = NULL;
			break;
		default:
			hr_cmd_usage(stderr, &hr_cmd_snapshot);
			return HR_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "headroom snapshot: unexpected argument '%s'\n", argv[optind]);
		return HR_EXIT_USAGE;
	}
	if (!so.out || !*so.out) {
		fprintf(stderr, "headroom snapshot: -o DIR is required\n");
		return HR_EXIT_USAGE;
	}
	if (arg_root && *arg_root) {
		fprintf(stderr, "headroom snapshot: captures the live system only (no --root)\n");
		return HR_EXIT_USAGE;
	}
	r = hr_snapshot_write(&so, &st, &err);
	if (r < 0) {
		fprintf(stderr, "headroom snapshot: %s\n", err.msg[0] ? err.msg : hr_strerror(r));
		return HR_EXIT_FAIL;
	}
	if (!quiet) {
		char b[64];

		printf("headroom snapshot: wrote %s: %lu files, %s bytes", so.out, st.files,
		       hr_fmt_num(b, sizeof(b), (double)st.bytes, true));
		if (st.interval_s > 0)
			printf(", second counter sample after %.3g s", st.interval_s);
		if (st.skipped)
			printf(" (%lu not copied, see above)", st.skipped);
		printf("\n");
	}
	return HR_EXIT_OK;
}

const struct hr_cmd hr_cmd_snapshot = {
	.name = "snapshot",
	.usage = "-o DIR [--interval SECONDS] [--force] [--quiet]",
	.summary = "Capture what probe reads from the live system into a tree for 'probe --root'.",
	.help = "  -o, --output DIR    where to write (refused when it exists and is not empty)\n"
		"  --interval SECONDS  also take a second counter sample this much later (rates)\n"
		"  --force             replace an existing headroom snapshot at DIR\n"
		"  --quiet             no progress line and no summary\n",
	.flags = 0,
	.exec = snapshot_exec,
};
