using System.CommandLine;
using System.Globalization;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Hosting;
using Loyalty.Functions.Telemetry;

namespace Loyalty.Cli.Import;

/// <summary><c>loyalty import --members FILE [--purchases FILE] [--report FILE]</c>: moves members, their points and their
/// purchase history in from another system, through the same operations and transactions as the API. Every row of both
/// files is checked first; then members are imported in parallel, one writer per member. A re-run imports nothing twice
/// and completes what a stopped run left; different content for a member already imported is reported, never written.
/// Exit code 0 when every row was imported or was there already, 2 when some rows were rejected (the others are
/// imported), 1 on failure.</summary>
internal static class ImportCommand
{
    /// <summary>Exit code when some rows were rejected and the others imported.</summary>
    public const int SomeRejected = 2;

    public const int DefaultParallel = 16;

    public static Command Create(CliContext context)
    {
        var members = new Option<FileInfo>("--members")
        {
            Description = "The members: CSV whose header names the columns (" + string.Join(',', ImportFile.Columns) + "), or JSON lines.",
            HelpName = "file",
            Required = true,
        };
        var purchases = new Option<FileInfo>("--purchases") { Description = "Historical purchases, JSON lines, each the body of POST /api/purchases.", HelpName = "file" };
        var report = new Option<FileInfo>("--report") { Description = "Write the rejected rows here: line number, field, reason (default: standard error).", HelpName = "file" };
        var parallel = new Option<int>("--parallel") { Description = "Members imported at once (1-64).", HelpName = "n", DefaultValueFactory = _ => DefaultParallel };
        parallel.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64)
            {
                r.AddError("--parallel must be between 1 and 64.");
            }
        });
        var import = new Command("import", """
            Import members (profile, opening balance or dated lots, tier, enrolment date) and their historical purchases from
            another system, through the API's own operations. Rows are checked first; rejected rows are reported with their
            line numbers and the rest imported. Safe to run again: nothing is imported twice, and a run that stopped is completed.
            Storage from AzureWebJobsStorage, the program from LOYALTY_PROGRAM_FILE and the phone key from LOYALTY_PHONE_KEY,
            as the app reads them. Exit code 0 all imported or there already, 2 some rows rejected, 1 failure.
            """)
        {
            members, purchases, report, parallel,
        };
        import.SetAction(context, (r, ct) => RunAsync(context, r.GetValue(members)!.FullName, r.GetValue(purchases)?.FullName, r.GetValue(report)?.FullName, r.GetValue(parallel), ct));
        return import;
    }

    private static async Task<int> RunAsync(CliContext context, string membersPath, string? purchasesPath, string? reportPath, int parallel, CancellationToken ct)
    {
        var program = ProgramFile.Load(context.Configuration);
        var phoneKeys = PhoneKeySettings.Load(context.Configuration);
        var file = await ImportFile.ReadAsync(membersPath, purchasesPath, program, context.Time.GetUtcNow(), ct);
        var rejections = new List<Rejection>(file.Rejections);
        await WriteReportAsync(context, reportPath, rejections, final: false, ct);
        await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Checked {Path.GetFileName(membersPath)}{(purchasesPath is null ? "" : " and " + Path.GetFileName(purchasesPath))}: {LoyaltyCli.Plural(file.Members.Count, "member")} to import with {LoyaltyCli.Plural(file.Members.Sum(m => m.Purchases.Count), "purchase")}; {LoyaltyCli.Plural(rejections.Count, "row")} rejected."));

        var tables = context.Storage().CreateTableServiceClient(TableOptions(context));
        await Tables.CreateAllAsync(tables, ct);
        // What the import commits is counted as the app counts its operations, under the source "import" (sent when
        // APPLICATIONINSIGHTS_CONNECTION_STRING is set), so that a day's metrics still add up to that day's ledger.
        var (metrics, export) = TelemetrySetup.ToolLedgerMetrics(context.Configuration, program, OperationKinds.Import);
        using var exported = export;
        var importer = new Importer(MemberStore.Create(tables, program, phoneKeys, context.Time, metrics: metrics), new MemberIndexes(tables, phoneKeys), new Claims(tables));
        var results = new System.Collections.Concurrent.ConcurrentBag<MemberResult>();

        // Two chunks at a time, so that one chunk's hints are written while the other's members commit.
        var chunks = parallel > 1 ? 2 : 1;
        var options = new ParallelOptions { MaxDegreeOfParallelism = chunks, CancellationToken = ct };
        await ImportProgress.RunAsync(context, file.Members.Count, async done =>
        {
            try
            {
                await Parallel.ForEachAsync(file.Members.Chunk(Importer.Chunk), options, async (chunk, token) =>
                    await importer.ImportAsync(chunk, parallel / chunks, result =>
                    {
                        results.Add(result);
                        done();
                    }, token));
            }
            finally
            {
                // What was rejected before a failure or a Ctrl+C is reported all the same.
                rejections.AddRange(results.Where(r => r.Rejection is not null).Select(r => r.Rejection!));
                await WriteReportAsync(context, reportPath, rejections, final: true, CancellationToken.None);
            }
        });

        var imported = results.Count(r => r.Outcome == ImportOutcome.Imported);
        var there = results.Count(r => r.Outcome == ImportOutcome.AlreadyThere);
        var incomplete = results.Count(r => r.Incomplete);
        await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Imported {LoyaltyCli.Plural(imported, "member")}; {there} already there; {LoyaltyCli.Plural(rejections.Count, "row")} rejected{(reportPath is null || rejections.Count == 0 ? "" : $" (see {Path.GetFileName(reportPath)})")}."));
        if (incomplete > 0)
        {
            await context.Out.WriteLineAsync($"{LoyaltyCli.Plural(incomplete, "member")} stopped part-way (see the report): fix what it says and run the import again to complete them.");
        }

        return rejections.Count > 0 ? SomeRejected : ExitCodes.Ok;
    }

    /// <summary>Writes the report (the members file, then the purchases file, by line): to the report file once the rows
    /// are checked and again at the end, or to standard error at the end.</summary>
    private static async Task WriteReportAsync(CliContext context, string? path, List<Rejection> rejections, bool final, CancellationToken ct)
    {
        if (path is null && !final)
        {
            return;
        }

        var lines = rejections.OrderBy(r => r.Purchases).ThenBy(r => r.Line).Select(r => r.ToString()).ToList();
        if (path is not null)
        {
            await File.WriteAllLinesAsync(path, lines, ct);
            return;
        }

        foreach (var line in lines)
        {
            await context.Error.WriteLineAsync(line);
        }
    }

    // An import is a long batch, not a request waiting on an answer: more patience with a busy storage account.
    private static TableClientOptions TableOptions(CliContext context)
    {
        var options = StorageAccount.DefaultTableOptions();
        if (context.TablePolicy is { } policy)
        {
            options.AddPolicy(policy, Azure.Core.HttpPipelinePosition.PerRetry);
        }

        options.Retry.MaxRetries = 5;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(5);
        return options;
    }
}
