// The tracepoint provider of the example (compiled once, in C as lttng-ust recommends).
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "augur_demo_tp.h"
