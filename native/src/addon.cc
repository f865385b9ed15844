// Entry point: each area registers its own functions.
#include "box.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tsnas::tuneAllocator();
  tsnas::registerLifecycle(env, exports);
  tsnas::registerMath(env, exports);
  tsnas::registerNN(env, exports);
  return exports;
}

NODE_API_MODULE(tsnas_native, Init)
