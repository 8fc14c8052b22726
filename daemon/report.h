/*
 * serguardd: the gateway's state for operators, in three forms: a text
 * table for people (`serguardctl status`), JSON for programs (`status
 * --json`) and the Prometheus text exposition format (`metrics`) for
 * fleet monitoring. The fields are the same in all three and described
 * in daemon/README.md ("Status and metrics").
 */
#ifndef SERGUARDD_REPORT_H
#define SERGUARDD_REPORT_H

#include "daemon/buf.h"
#include "daemon/gateway.h"

/* Every port and device, or the one device named (-1 if there is no such
 * device). */
int report_status(struct buf *b, struct gateway *gw, const char *device);
int report_json(struct buf *b, struct gateway *gw, const char *device);
void report_metrics(struct buf *b, struct gateway *gw);
/* One line for systemd's STATUS=: "2/2 ports up, 3/4 sessions up". */
void report_summary(struct buf *b, struct gateway *gw);

#endif
