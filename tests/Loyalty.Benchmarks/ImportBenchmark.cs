using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Cli;
using Microsoft.Extensions.Configuration;

/// <summary><c>bash eng/bench.sh import</c>: members per second that <c>loyalty import</c> brings in (each with 5 dated lots),
/// beside the raw rate of Azurite batch transactions of the same size made directly with the SDK (one per member: the
/// member row with its 5 lots, an operation row and a ledger entry), in one run on one Azurite.
/// Options: --members 2000 --parallel 16.</summary>
internal static class ImportBenchmark
{
    private const string Lots = "2027-01-31=10;2027-02-28=20;2027-03-31=30;2027-04-30=40;2027-05-31=50";

    public static async Task<int> RunAsync(string connection, string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        string Value(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        var members = int.Parse(Value("--members", "2000"), inv);
        var parallel = int.Parse(Value("--parallel", "16"), inv);
        Console.WriteLine(string.Create(inv, $"Import benchmark: {Environment.ProcessorCount} cores, {members} members with 5 lots each, {parallel} at a time"));

        var raw = await RawAsync(StorageAccount.FromConnectionString(connection).CreateTableServiceClient(), members, parallel);
        Console.WriteLine(string.Create(inv, $"raw batch transactions (SDK, one per member, same rows): {raw,8:F1} members/s"));

        var file = Path.Combine(Path.GetTempPath(), $"bench-import-{Guid.NewGuid():N}.csv");
        var run = Guid.NewGuid().ToString("N")[..8];
        await File.WriteAllLinesAsync(file, [
            "memberId,firstName,phone,birthday,locale,timeZone,smsOptIn,openingBalance,lots",
            .. Enumerable.Range(0, members).Select(i => string.Create(inv, $"bench-{run}-{i},Bench,,,,,,,{Lots}"))]);
        try
        {
            var (first, firstExit) = await ImportAsync(connection, file, parallel);
            Console.WriteLine(string.Create(inv, $"loyalty import (one transaction per member, shared hints batched):  {members / first.TotalSeconds,8:F1} members/s"));
            Console.WriteLine(string.Create(inv, $"ratio import / raw: {100 * members / first.TotalSeconds / raw:F1} % (target >= 50 %)"));
            var (again, againExit) = await ImportAsync(connection, file, parallel);
            Console.WriteLine(string.Create(inv, $"re-run, every member already there:  {members / again.TotalSeconds,8:F1} members/s"));
            return firstExit == 0 && againExit == 0 ? 0 : 1;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<(TimeSpan Took, int Exit)> ImportAsync(string connection, string file, int parallel)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageAccount.SettingName] = connection, [PhoneKeys.CurrentSetting] = BenchKeys.Phone })
            .Build();
        using var output = new StringWriter();
        var started = Stopwatch.GetTimestamp();
        var exit = await LoyaltyCli.RunAsync(
            ["import", "--members", file, "--parallel", parallel.ToString(CultureInfo.InvariantCulture)],
            new CliContext(configuration, TimeProvider.System, TextWriter.Synchronized(output), Console.Error));
        var took = Stopwatch.GetElapsedTime(started);
        if (exit != 0)
        {
            Console.WriteLine($"import exited {exit}:\n{output}");
        }

        return (took, exit);
    }

    private static async Task<double> RawAsync(TableServiceClient tables, int members, int parallel)
    {
        var table = tables.GetTableClient("benchimport" + Guid.NewGuid().ToString("N")[..8]);
        await table.CreateAsync();
        try
        {
            var started = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(Enumerable.Range(0, members), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (m, ct) =>
            {
                var member = $"raw-{m}";
                await table.SubmitTransactionAsync(
                    [
                        new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(member, "member")
                        {
                            ["FirstName"] = "Bench", ["Locale"] = "en", ["TimeZone"] = "UTC", ["LastSeq"] = 1L, ["Lifetime"] = 150L, ["Lots"] = Lots,
                        }),
                        new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(member, "op|import|" + member) { ["Hash"] = new string('h', 44), ["Result"] = new string('r', 120), ["Entries"] = "1" }),
                        new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(member, $"entry|{long.MaxValue - 1:D19}") { ["Seq"] = 1L, ["Kind"] = "Adjust", ["Points"] = 150L, ["BalanceAfter"] = 150L, ["Reference"] = "import" }),
                    ],
                    ct);
            });
            return members / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        finally
        {
            await table.DeleteAsync();
        }
    }
}
