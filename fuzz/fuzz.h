/* fuzz.h: what every harness shares: the libFuzzer entry point and a
 * helper that turns the raw input into the NUL-terminated text the
 * parsers take. Harnesses build two ways (fuzz/README in docs/FUZZING.md):
 * with clang -fsanitize=fuzzer (configure --enable-fuzz), or linked with
 * fuzz/replay.c, a main() that feeds each file of a corpus directory. */
#ifndef HR_FUZZ_H
#define HR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as an owned NUL-terminated string (embedded NULs kept, so the
 * parser sees a shorter string); NULL on ENOMEM. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* Writes the input to a file in a private temporary directory made once
 * per process and returns its path (borrowed; the name is fixed per call
 * site by rel, e.g. "proc/net/snmp", directories created). NULL on error. */
const char *fuzz_file(const char *rel, const uint8_t *data, size_t size);
/* The private temporary directory of fuzz_file (made on first use). */
const char *fuzz_dir(void);

/* A memfd named name holding the input, at offset 0 (the readers that
 * take an fd stream it); aborts on error. */
int fuzz_memfd(const char *name, const uint8_t *data, size_t size);

#endif
