// LTTng-UST tracepoints of the example service pair: request/response events with hierarchical
// tags ("00", "00/01") that augur turns into spans (seed 001), and ordinary events with a message.
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER augur_demo

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./augur_demo_tp.h"

#if !defined(AUGUR_DEMO_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define AUGUR_DEMO_TP_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(augur_demo, request,
                           LTTNG_UST_TP_ARGS(const char*, tag, const char*, op),
                           LTTNG_UST_TP_FIELDS(lttng_ust_field_string(type, "request")
                                                   lttng_ust_field_string(tag, tag)
                                                       lttng_ust_field_string(op, op)))

LTTNG_UST_TRACEPOINT_EVENT(
    augur_demo, response, LTTNG_UST_TP_ARGS(const char*, tag, const char*, op, int, status),
    LTTNG_UST_TP_FIELDS(lttng_ust_field_string(type, "response") lttng_ust_field_string(tag, tag)
                            lttng_ust_field_string(op, op)
                                lttng_ust_field_integer(int, status, status)))

LTTNG_UST_TRACEPOINT_EVENT(augur_demo, event, LTTNG_UST_TP_ARGS(const char*, msg, int, value),
                           LTTNG_UST_TP_FIELDS(lttng_ust_field_string(msg, msg)
                                                   lttng_ust_field_integer(int, value, value)))

#endif

#include <lttng/tracepoint-event.h>
