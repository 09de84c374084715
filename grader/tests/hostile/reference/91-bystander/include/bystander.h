/* bystander.h - a lab graded in the same run as the hostile one. */
#ifndef BYSTANDER_H
#define BYSTANDER_H

/* Any thread may call it. Returns a + b. */
long bystander_add(long a, long b);

#endif
