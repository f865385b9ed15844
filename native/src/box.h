// Shared plumbing of the addon: tensors cross into JavaScript as Napi::External<Box>.
// A Box owns one at::Tensor reference. JavaScript frees it early with dispose(); the
// External's finalizer frees whatever JavaScript forgot (the safety net).
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <string>
#include <unordered_set>
#include <vector>

namespace tsnas {

struct Box {
  at::Tensor t;
  int64_t bytes = 0;  // bytes reported to V8 as external memory
  bool alive = true;
};

// Every live box, so memory() can count tensors and unique storages.
std::unordered_set<Box*>& liveBoxes();

Napi::Value wrap(Napi::Env env, at::Tensor t);
void release(Napi::BasicEnv env, Box* box);

at::Tensor& tensorArg(const Napi::CallbackInfo& info, size_t i);
c10::optional<at::Tensor> optTensorArg(const Napi::CallbackInfo& info, size_t i);
std::vector<at::Tensor> tensorListArg(const Napi::CallbackInfo& info, size_t i);
double numArg(const Napi::CallbackInfo& info, size_t i);
int64_t intArg(const Napi::CallbackInfo& info, size_t i);
bool boolArg(const Napi::CallbackInfo& info, size_t i);
std::string strArg(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i);
c10::optional<double> optNumArg(const Napi::CallbackInfo& info, size_t i);

at::ScalarType dtypeFromName(const std::string& name);
const char* dtypeName(at::ScalarType t);
at::Device deviceFromName(const std::string& name);
at::MemoryFormat memoryFormatFromName(const std::string& name);

// Runs body and turns libtorch and argument errors into JavaScript exceptions.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* op, F body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), std::string(op) + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string(op) + ": " + e.what());
  }
}

using Registrar = void (*)(Napi::Env, Napi::Object);
void registerLifecycle(Napi::Env env, Napi::Object exports);
void registerMath(Napi::Env env, Napi::Object exports);
void registerNN(Napi::Env env, Napi::Object exports);
// allocator.cc: glibc malloc keeps freed memory for reuse (called once at load).
void tuneAllocator();
const char* allocatorSetting();

}  // namespace tsnas

// Defines one exported op: NAME(info) returns a new tensor computed by EXPR.
#define TSNAS_TENSOR_OP(NAME, EXPR)                                               \
  static Napi::Value NAME(const Napi::CallbackInfo& info) {                       \
    return ::tsnas::guarded(info, #NAME, [&]() -> Napi::Value {                   \
      return ::tsnas::wrap(info.Env(), EXPR);                                     \
    });                                                                           \
  }

// Defines one in-place op: runs STMT, returns undefined.
#define TSNAS_INPLACE_OP(NAME, STMT)                                              \
  static Napi::Value NAME(const Napi::CallbackInfo& info) {                       \
    return ::tsnas::guarded(info, #NAME, [&]() -> Napi::Value {                   \
      STMT;                                                                       \
      return info.Env().Undefined();                                              \
    });                                                                           \
  }

#define TSNAS_EXPORT(exports, env, NAME) exports.Set(#NAME, Napi::Function::New(env, NAME, #NAME))
