using System.Diagnostics;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Loyalty.Adapters.Storage;

[assembly: AssemblyFixture(typeof(Loyalty.Tests.Infrastructure.Azurite))]

namespace Loyalty.Tests.Infrastructure;

/// <summary>A real Azurite for the whole test run. eng/test.sh starts one and passes its connection string in
/// <c>AzureWebJobsStorage</c>; when the tests run without it (from an IDE), this fixture starts its own, in
/// memory on free loopback ports, and stops it at the end.</summary>
public partial class Azurite : IAsyncLifetime
{
    private readonly bool own;

    public Azurite()
        : this(own: false)
    {
    }

    protected Azurite(bool own) => this.own = own;

    private const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private Process? process;

    public string ConnectionString { get; private set; } = "";

    public StorageAccount Account => StorageAccount.FromConnectionString(ConnectionString);

    public TableServiceClient Tables => Account.CreateTableServiceClient();

    public QueueServiceClient Queues => Account.CreateQueueServiceClient();

    public async ValueTask InitializeAsync()
    {
        if (!own && Environment.GetEnvironmentVariable(StorageAccount.SettingName) is { Length: > 0 } given)
        {
            ConnectionString = given;
            return;
        }

        var azurite = Path.Combine(RepoRoot.Path, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed: run 'npm ci' in {RepoRoot.Path} (eng/test.sh does).");
        }

        var start = new ProcessStartInfo(azurite)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in "--inMemoryPersistence --silent --skipApiVersionCheck --disableTelemetry --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --blobPort 0 --queuePort 0 --tablePort 0".Split(' '))
        {
            start.ArgumentList.Add(arg);
        }

        process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var ports = new Dictionary<string, string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (ports.Count < 3 && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (Listening().Match(line) is { Success: true } m)
            {
                ports[m.Groups[1].Value] = m.Groups[2].Value;
            }
        }

        if (ports.Count < 3)
        {
            throw new InvalidOperationException("Azurite did not start.");
        }

        // Keep draining its output so that it never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        ConnectionString = ConnectionStringFor(ports["Blob"], ports["Queue"], ports["Table"]);
    }

    public virtual ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        process?.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>A connection string to a storage account that does not answer (nothing listens on the port).</summary>
    public static string Unreachable() => ConnectionStringFor("1", "1", "1");

    private static string ConnectionStringFor(string blob, string queue, string table) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";

    [GeneratedRegex(@"(Blob|Queue|Table) service is successfully listening at http://127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}

/// <summary>An Azurite of its own, for tests that run nightly jobs: a job reads the whole index, so on the shared
/// instance it would act on other tests' members.</summary>
public sealed class PrivateAzurite() : Azurite(own: true);

public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "loyalty-functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (loyalty-functions.sln) was not found above the test binaries.");
    }
}
