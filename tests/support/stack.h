#pragma once
// Integration-test helpers: our binaries as child processes (tools/harness) under sw::test.

#include "sw/harness/stack.h"
#include "test_support.h"
