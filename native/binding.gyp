{
  "targets": [
    {
      "target_name": "tsnas_native",
      "sources": [
        "src/addon.cc",
        "src/allocator.cc",
        "src/lifecycle.cc",
        "src/ops_math.cc",
        "src/ops_nn.cc"
      ],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node locate-libtorch.js include)"
      ],
      "defines": [
        "NAPI_EXPERIMENTAL",
        "NAPI_CPP_EXCEPTIONS",
        "<!@(node locate-libtorch.js defines)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-frtti", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": [
        "-L<!@(node locate-libtorch.js libdir)",
        "-Wl,-rpath,<!@(node locate-libtorch.js libdir)",
        "<!@(node locate-libtorch.js libs)"
      ]
    }
  ]
}
