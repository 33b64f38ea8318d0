/* SPDX-License-Identifier: MIT */
/*
 * predict.h - predicted idle windows: the desktop's weekly profile of when its owner comes
 * back, learnt from the agent's own history, the expected time until the owner returns, and
 * the form Slurm's scheduler reads it in (the node's Weight and idle_Nh Features). Pure: the
 * caller passes the local time, reads and writes the profile file (predict_file.c).
 *
 * The model. A window is open while the desktop is offered, and stays open until its jobs
 * must stop (the verdict no longer lets them run): that is when a job placed there is
 * suspended or requeued. The week is cut into bins (an hour each by default); each bin keeps
 * two exponentially weighted sums, decayed by AGENT_PREDICT_DECAY per week: the seconds a
 * window was open in it (exposure) and the windows that closed in it (returns). Their ratio
 * is the bin's hazard, the rate at which an open window closes there; a small prior
 * (AGENT_PREDICT_PRIOR_*) stands in for bins never seen open, and it says "soon", the
 * cautious side. The expected time until the owner returns is the integral, over the week
 * ahead, of the probability that a window open now is still open, with the hazard constant
 * within a bin: the standard piecewise-exponential survival model. Nights and weekends, in
 * which windows rarely close, come out long; the hour before the owner usually arrives,
 * short.
 *
 * A prediction only shapes placement: it never delays a drain, a suspend or a requeue.
 */
#ifndef AGENT_PREDICT_H
#define AGENT_PREDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_PREDICT_WEEK_S   (7 * 24 * 3600)
#define AGENT_PREDICT_MIN_BIN  (15 * 60)   /* 672 bins a week: finer says nothing more from a */
#define AGENT_PREDICT_MAX_BIN  (24 * 3600) /* few weeks of one person's habits */
#define AGENT_PREDICT_MAX_BINS (AGENT_PREDICT_WEEK_S / AGENT_PREDICT_MIN_BIN)
#define AGENT_PREDICT_DEF_BIN  (3600) /* 168 bins: a timetable's resolution */

/* The weight of last week's observations against this week's: an observation k weeks old
 * counts 0.8^k, so about 5 weeks make the profile, and a change of timetable (term, holidays)
 * takes over within 2-3 weeks. */
#define AGENT_PREDICT_DECAY 0.8

/*
 * The prior of every bin: a hazard of one return an hour (an expected hour), the cautious
 * side where nothing was seen (unknown means the owner may come), worth only 36 s of
 * observation. A heavier prior would outweigh the data: a night bin sees at most an hour of
 * open time a week, and a prior repeated over the 60 bins of a weekend would then predict
 * hours where the owner has never come back in 60.
 */
#define AGENT_PREDICT_PRIOR_RETURNS  0.01
#define AGENT_PREDICT_PRIOR_EXPOSURE 36.0

/* Observations further apart than this (the PC slept, the agent was stopped) count nothing
 * in between: who knows what happened. */
#define AGENT_PREDICT_MAX_GAP_S (15 * 60)

/* The buckets published: a node whose window is expected to last at least 1, 2, 4, 8 h. */
#define AGENT_PREDICT_NLEVELS 4
extern const int agent_predict_levels_h[AGENT_PREDICT_NLEVELS];

/*
 * The Weight of a node in each bucket is AGENT_PREDICT_WEIGHT_BASE + AGENT_PREDICT_NLEVELS -
 * bucket: the longest expected window gets the lowest weight, which Slurm prefers. Above
 * Slurm's default 1, so that dedicated nodes of the same partition, which no owner
 * interrupts, stay preferred to every desktop.
 */
#define AGENT_PREDICT_WEIGHT_BASE 100

/* The prefix of the Features the agent owns on its node ("idle_8h"); the others are kept. */
#define AGENT_PREDICT_FEATURE "idle_"

/* One bin of the week. */
struct agent_predict_bin {
	double returns;	 /* windows that closed in this bin, exponentially weighted */
	double exposure; /* seconds a window was open in this bin, exponentially weighted */
	int32_t week;	 /* the week both were last decayed to (weeks since the epoch's first
			  * Monday, local time) */
};

/* The profile and what observing it needs. */
struct agent_predict {
	int64_t bin_s; /* seconds per bin: divides a week, AGENT_PREDICT_MIN_BIN to _MAX_BIN */
	int nbins;     /* AGENT_PREDICT_WEEK_S / bin_s */
	unsigned returns_seen; /* windows that closed since the start (not persisted) */
	int64_t last_s;	       /* local time of the last observation, s; 0 before the first */
	bool open;	       /* a window was open at the last observation */
	bool dirty;	       /* changed since last written */
	/* Last: only the bins in use are touched (none while agent.predict is off). */
	struct agent_predict_bin bin[AGENT_PREDICT_MAX_BINS]; /* from Monday 00:00 local time */
};

/* What is published, derived from a prediction. */
struct agent_predict_pub {
	int bucket;	   /* levels met, 0 (under 1 h) to AGENT_PREDICT_NLEVELS; -1: none */
	uint32_t weight;   /* the node's Weight for it */
	char features[64]; /* "idle_1h,idle_2h" for the levels met, "" for none */
};

/* Is [bin_s] a valid bin width? Returns 0, or -1 with [why] saying what is wrong. */
int agent_predict_check_bin(int64_t bin_s, char *why, size_t whylen);

/* An empty profile of [bin_s]-second bins (which must pass agent_predict_check_bin()). */
void agent_predict_init(struct agent_predict *p, int64_t bin_s);

/* True if nothing was ever observed (then nothing is predicted or published). */
bool agent_predict_empty(const struct agent_predict *p);

/* Local time [wall_s] (seconds since the epoch) with the zone's offset [gmtoff] (seconds east
 * of UTC): the seconds the profile counts in. */
int64_t agent_predict_local(int64_t wall_s, long gmtoff);

/*
 * One observation at local time [local_s]: [offer] the node is offered, [run] its jobs may
 * run. The time since the last observation counts as open time if a window was open then
 * (unless over AGENT_PREDICT_MAX_GAP_S, or time went back); a window that was open and whose
 * jobs may no longer run closed now. Sets p->dirty when the profile changed. Returns true if
 * a window closed (a return was learnt).
 */
bool agent_predict_observe(struct agent_predict *p, int64_t local_s, bool offer, bool run);

/*
 * The expected seconds until the owner returns to a window open at [local_s], over the week
 * ahead (at most AGENT_PREDICT_WEEK_S), or -1 if the profile is empty.
 */
double agent_predict_expect(const struct agent_predict *p, int64_t local_s);

/* The bucket, Weight and Features of an expectation of [secs] seconds (-1: none). */
void agent_predict_publish(double secs, struct agent_predict_pub *out);

/*
 * The node's Features [have] (comma-separated, "" if none) with the agent's own idle_*
 * replaced by [mine] ("" removes them), into [out]. Returns 0, or -1 if [out] is too small.
 */
int agent_predict_features(const char *have, const char *mine, char *out, size_t len);

/*
 * The profile file, STATE_DIR/NODE.profile: one header line, then one line per bin that was
 * ever observed, so it never exceeds AGENT_PREDICT_FILE_MAX bytes. agent_predict_format()
 * writes [p] into [buf] and returns its length, or -1 if [len] is too small.
 * agent_predict_parse() reads [len] bytes of [buf] ([name] for messages) into [p], whose
 * bin_s is the width the agent runs with; a file of another node, of another width, or
 * malformed is refused: -1 with [err] "name:line: message", [p] left empty.
 */
#define AGENT_PREDICT_FILE_MAX (64 * 1024)
int agent_predict_format(const struct agent_predict *p, const char *node, char *buf, size_t len);
int agent_predict_parse(struct agent_predict *p, const char *node, const char *name,
			const char *buf, size_t len, char *err, size_t errlen);

/*
 * Reads and writes the file at [path] (predict_file.c: the one part with I/O). Load: a
 * missing file is an empty profile (0); a bad one is refused (-1, [err] as above), the
 * profile left empty. Save: written atomically (temporary file, fsync, rename).
 */
int agent_predict_load(struct agent_predict *p, const char *node, const char *path, char *err,
		       size_t errlen);
int agent_predict_save(struct agent_predict *p, const char *node, const char *path, char *err,
		       size_t errlen);

#endif /* AGENT_PREDICT_H */
