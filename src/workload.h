/* workload.h: the --workload file: what the box will do, for audits before
 * any traffic exists (format in headroom-audit(8)).
 *
 *   outbound:                      # connections this host opens
 *     - destination: 10.0.0.2:5774 # IP literal and port; IPv6 as [::1]:80
 *       rate: 710/s                # new connections per second
 *       closes: client             # who closes first: client (this host) | server
 *   inbound:                       # connections this host accepts
 *     - port: 8080
 *       rate: 200/s
 *       closes: server             # server (this host) | client
 *   middlebox_idle_timeout: 15min  # stateful firewall / NAT idle timeout
 *   failover_deadline: 30s         # a dead peer must be noticed within this
 *   clients_behind_nat: true
 *   role: host                     # host | router | nat-gateway
 *   requests_per_connection: 100   # for the keep-alive what-if
 *
 * Parsing is strict: unknown keys, duplicate keys, wrong types and bad
 * values are errors "FILE:LINE:COL: message"; nothing is declared then. */
#ifndef HR_WORKLOAD_H
#define HR_WORKLOAD_H

#include "facts.h"

/* Parses a workload file and declares its load into f: destinations and
 * inbound ports (hr_facts_declare_*), and workload.* facts. Returns 0, or
 * -EBADMSG (err: "FILE:LINE:COL: ...") / -errno (err names the file). */
int hr_workload_load(hr_facts *f, const char *path, struct hr_err *err);
/* Same from a buffer; name is used in messages. */
int hr_workload_load_buffer(hr_facts *f, const char *text, size_t len, const char *name,
			    struct hr_err *err);

/* Parses a rate "710", "710/s", "42000/min", "1e3/h" into connections per
 * second. 0 or -EINVAL. */
int hr_workload_parse_rate(const char *s, double *out);
/* Parses a duration "30", "30s", "250ms", "15min", "1h" into seconds. 0 or -EINVAL. */
int hr_workload_parse_duration(const char *s, double *out);
/* Parses a path's bandwidth "100Mbit/s", "1Gbit/s", "12.5MB/s" into bytes
 * per second. 0 or -EINVAL. */
int hr_workload_parse_bandwidth(const char *s, double *out);

#endif
