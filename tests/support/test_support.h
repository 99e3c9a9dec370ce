#pragma once
// Test helpers: the shared harness (tools/harness, namespace sw::test).

#include "sw/harness/process.h"
