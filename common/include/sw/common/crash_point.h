#pragma once
// Named crash points for the chaos harness (tools/chaos). With SW_CRASH_POINT=<name> and
// SW_CRASH_AFTER=<n> (default 1) in the environment, the process SIGKILLs itself the n-th
// time it passes that point, as a power cut or OOM kill would. Without them every crash
// point is one predictable branch. The set-up is read once, at start, by initCrashPoints().
//
// Points: agent.after_local_commit, agent.after_publish, agent.before_mark_acked,
//         agent.after_mark_acked, coordinator.mid_batch, coordinator.after_commit_before_ack,
//         coordinator.restore_after_journal, coordinator.restore_mid_swap (main/restore_files.h)

namespace sw::common {

void initCrashPoints();
void crashPoint(const char* name);

}  // namespace sw::common
