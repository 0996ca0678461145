/* stream.h -- streams and their worker threads, tasks, events and faults: the
 * machinery under em_eval / em_async_eval (src/transforms/eval.c).
 *
 * Events. Every buffer records the last task that writes it: (stream, seq),
 * seq 0 when nothing is pending. A stream's tasks run in order and each one
 * bumps the stream's `done` counter, so "seq has run" is `done >= seq`. A
 * view shares its base's buffer and so its event; a donated buffer takes the
 * event of its new writer (its old array dies with the node that reads it).
 *
 * Faults. A task whose kernel fails attaches a fault (code and message) to
 * its outputs' buffers, before its `done` bump; a task that finds a fault on
 * an input skips its kernel and passes the fault on. Readers see a fault once
 * they have waited for the buffer's event. A stream also keeps its latest
 * failure that no reader has seen, for em_stream_synchronize. */
#ifndef EM_CORE_STREAM_H
#define EM_CORE_STREAM_H

#include "node.h"

/* A kernel's failure, shared by every buffer it spoiled. */
typedef struct em_fault {
    atomic_long rc;
    atomic_bool reported;  /* raised to a reader already */
    em_status code;
    char msg[];
} em_fault;

em_fault *fault_new(em_status code, const char *msg); /* NULL if out of memory */
void fault_retain(em_fault *f);
void fault_release(em_fault *f);                       /* NULL-safe */

/* The stream ops built now on this thread run on (for node_make). */
int stream_current(void);

/* Submits node n to its stream (n->stream): outs are its n->n_out outputs,
 * whose buffers the caller has already given them (`bytes` of them freshly
 * allocated). The task holds a reference to n and pins the outputs until it
 * has run; it first waits for every input buffer written on another stream.
 * Records the task's event in each output buffer. Pauses while too many tasks,
 * or too many fresh bytes, are in flight on the stream. Without `wake`, a
 * sleeping worker is left asleep: for a caller that is about to wait for the
 * task (and so runs it itself, or wakes the worker then); such a caller runs
 * the kernel at once, with no task, when the stream has nothing queued or
 * running and every input is ready. Returns an error only if it could not
 * queue the task (nothing was submitted then). */
em_status stream_submit(em_node *n, em_array *const *outs, int64_t bytes, bool wake);

/* Waits until b's writer has run; then returns EM_OK, or b's fault (set as
 * the calling thread's error). */
em_status buffer_wait(const em_buffer *b);
/* Whether b's writer has run (never blocks). */
bool buffer_ready(const em_buffer *b);

/* Waits until every stream has run everything submitted so far (memory
 * pressure: finished tasks release the buffers they read). Returns whether
 * anything was in flight. */
bool streams_drain(void);

/* Wakes every sleeping worker that has tasks queued (tasks submitted without
 * a wake-up that their submitter will not wait for after all). */
void streams_kick(void);

/* Whether the calling thread is a stream's worker or runs a task now (then
 * it must not run deleters of external memory: they may need a lock, such as
 * Python's GIL, that a thread waiting for this task holds). */
bool stream_in_task(void);

/* How many tasks an array's output may have in flight before it counts as
 * held: an output pinned by its pending writer (task_refs) is still only the
 * node's, for donation. */
static inline long array_owners(const em_array *a) {
    long rc = atomic_load(&a->rc);
    return rc - atomic_load(&a->task_refs);
}

#endif
