/* SPDX-License-Identifier: MIT */
/*
 * model.h - what the agent knows of Slurm, as plain data: a node, a job with (part of) its
 * allocation on it, and a node of the fleet. The Slurm calls (slurm.h) fill them; the pure
 * planner (plan.h) and the reports read them without linking libslurm.
 */
#ifndef AGENT_MODEL_H
#define AGENT_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define AGENT_REASON_LEN 256
#define AGENT_NODE_LEN	 64

/* What slurmctld says of one node. */
struct agent_node {
	char name[AGENT_NODE_LEN];
	char state[32];	     /* base state as Slurm names it: "IDLE", "ALLOCATED", "DOWN" ... */
	bool drain;	     /* the DRAIN flag is set */
	bool down;	     /* base state DOWN */
	bool not_responding; /* the NO_RESPOND flag */
	char reason[AGENT_REASON_LEN]; /* "" if none */
	uint32_t reason_uid;	       /* who set the reason */
	time_t reason_time;
	char extra[AGENT_REASON_LEN]; /* the node's Extra field, "" if none: where the agent
				       * reports its emergency mode (emergency.h) */
	uint32_t weight;	      /* its Weight (lower is preferred); predicted idle windows
				       * (predict.h) set it */
	char features_avail[AGENT_REASON_LEN]; /* its available Features, "a,b"; "" if none:
						* the agent owns the idle_Nh ones (predict.h) */
};

/* A job that has (part of) its allocation on a node. */
struct agent_job {
	uint32_t id;
	uint32_t user_id;
	char state[24];	  /* "RUNNING", "SUSPENDED", "PENDING", ... */
	bool running;	  /* RUNNING (a job still COMPLETING is not: see completing) */
	bool suspended;	  /* SUSPENDED */
	bool requeueable; /* batch job whose requeue flag is set */
	bool batch;	  /* a batch job (sbatch), not an interactive allocation */
	time_t start_time;
	time_t suspend_time; /* when it was suspended if SUSPENDED now, else 0 */
	bool completing;     /* ending (or being requeued): processes being killed, nothing to do */
	bool held;	     /* PENDING with priority 0 (held): never starts until released */
};

/* One node of the cluster as "idleacc fleet" shows it, its jobs counted. */
struct agent_fleet_node {
	struct agent_node node; /* as agent_slurm_node() reads it */
	char features[128];	/* its active features, "desktop,gpu"; "" if none */
	unsigned running;	/* jobs running with (part of) their allocation there */
	unsigned suspended;	/* jobs suspended there */
};

#endif /* AGENT_MODEL_H */
