using System.Text;
using Azure.Data.Tables;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Model;

/// <summary>The real service for one sequence: two app instances (the whole ASP.NET Core pipeline) on one Azurite
/// that only this test uses, sharing one fake clock. Every sequence starts on empty tables, so that the nightly jobs,
/// which read whole index tables, see this sequence's members only, and the clock starts at the same day.</summary>
public sealed class ModelWorld : IAsyncDisposable
{
    private readonly LoyaltyApp[] apps;

    private ModelWorld(Azurite azurite, string programFile, FakeTimeProvider clock, LoyaltyApp[] apps, HttpClient[] clients)
    {
        Tables = azurite.Tables;
        Storage = azurite.ConnectionString;
        ProgramFile = programFile;
        Clock = clock;
        this.apps = apps;
        Clients = clients;
    }

    public TableServiceClient Tables { get; }

    /// <summary>The connection string of the storage, for the command line (<c>loyalty import</c>).</summary>
    public string Storage { get; }

    public string ProgramFile { get; }

    public FakeTimeProvider Clock { get; }

    public IReadOnlyList<HttpClient> Clients { get; }

    public static async Task<ModelWorld> StartAsync(Azurite azurite, string programFile, DateTimeOffset start)
    {
        var tables = azurite.Tables;
        await foreach (var table in tables.QueryAsync())
        {
            await tables.DeleteTableAsync(table.Name);
        }

        var clock = new FakeTimeProvider(start);
        // A sender that takes replies: keywords by SMS are answered (outbox rows only; nothing sends them here).
        var settings = new Dictionary<string, string?> { ["LOYALTY_PROGRAM_FILE"] = programFile, [Adapters.Sms.AcsSmsOptions.FromSetting] = Outreach.SmsEvents.OurNumber };
        LoyaltyApp[] apps = [new(azurite, clock, settings), new(azurite, clock, settings)];
        var clients = await Task.WhenAll(apps.Select(a => a.StartAsync()));
        return new ModelWorld(azurite, programFile, clock, apps, clients);
    }

    /// <summary>A service of the first instance (both share the storage).</summary>
    public T Service<T>()
        where T : notnull => apps[0].Service<T>();

    public async Task<(int Status, string Body)> SendAsync(Request request, int instance)
    {
        using var message = new HttpRequestMessage(request.Method, request.Path);
        if (request.Body is { } body)
        {
            message.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await Clients[instance].SendAsync(message);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<(int Status, string Body)> GetAsync(string path, int instance = 0)
    {
        using var response = await Clients[instance].GetAsync(path);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Runs <c>loyalty import</c> in-process on this storage, program and clock: the exit code, the output and
    /// the report's lines.</summary>
    public async Task<(Cli.CliRun Run, string[] Report)> ImportAsync(Import import)
    {
        var folder = Directory.CreateTempSubdirectory("model-import-").FullName;
        try
        {
            var (members, report) = (Path.Combine(folder, "members.csv"), Path.Combine(folder, "report.txt"));
            await File.WriteAllLinesAsync(members, [ImportRow.Header, .. import.Rows.Select(r => r.Line)]);
            var run = await Cli.Cli.RunAsync(Storage, null, new Cli.CliOptions(ProgramFile, Clock), "import", "--members", members, "--report", report);
            return (run, File.Exists(report) ? await File.ReadAllLinesAsync(report) : []);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }
    }
}
