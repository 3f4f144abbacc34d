#!/usr/bin/env bash
# Runs once after the container is created: restore the CUDA backend, build, and check the GPU is seen.
set -euo pipefail
export TorchBackend=cuda
dotnet restore Course.sln -p:TorchBackend=cuda
dotnet build Course.sln -p:TorchBackend=cuda -v q
dotnet run --project tools/CourseKit.Cli -p:TorchBackend=cuda -- doctor
