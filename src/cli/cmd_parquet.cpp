#include <fmt/format.h>

#include "cli/commands.h"
#include "io/file_io.h"
#include "parquet/file_reader.h"
#include "parquet/inspect.h"

namespace k2::cli {

namespace {

Status RunInspect(const std::string& path, bool json) {
  K2_ASSIGN_OR_RETURN(auto io, NewFileIOFor(path));
  K2_ASSIGN_OR_RETURN(auto in, io->OpenInput(path));
  K2_ASSIGN_OR_RETURN(auto reader, parquet::FileReader::Open(std::move(in)));
  nlohmann::json info = parquet::InspectFile(*reader);
  if (json) {
    fmt::print("{}\n", info.dump(2));
  } else {
    fmt::print("{}", parquet::FormatInspect(info));
  }
  return OkStatus();
}

}  // namespace

void RegisterParquetCommands(CLI::App& root, CliContext& ctx) {
  auto* parquet = root.add_subcommand("parquet", "Parquet file tools");
  parquet->require_subcommand(1);
  auto* inspect = parquet->add_subcommand(
      "inspect", "Print a Parquet file's schema, row groups, encodings, codecs and statistics");
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  inspect->add_option("file", *path, "Parquet file (path or file:// URI)")->required();
  inspect->add_flag("--json", *json, "Print JSON instead of text");
  inspect->callback([&ctx, path, json] { ctx.Finish(RunInspect(*path, *json)); });
}

}  // namespace k2::cli
