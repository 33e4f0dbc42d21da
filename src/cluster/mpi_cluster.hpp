// The MPI-backed Cluster, for programs built with MPI (CMake found it). The library does not link
// MPI; only the programs that open a job do.
#pragma once

#include <memory>

#include "simdml/cluster.hpp"

namespace simdml {

// MPI's world, initialized for calls from the main thread only (OpenMP threads never call MPI),
// and finalized when the object goes. Errors in MPI calls end the whole job (MPI's default).
std::unique_ptr<Cluster> open_mpi_world(int& argc, char**& argv);

// The MPI library's name and version ("Open MPI v4.1.4"), callable before MPI is initialized.
std::string mpi_library_version();

}  // namespace simdml
