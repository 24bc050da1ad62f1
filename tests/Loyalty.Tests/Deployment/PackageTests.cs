using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Deployment;

/// <summary>The deployable zip that eng/package.sh builds (eng/test.sh builds it before the tests): what the
/// Functions host on Linux finds when it unpacks it.</summary>
public sealed class PackageTests
{
    public static readonly string ZipPath = Path.Combine(RepoRoot.Path, "artifacts", "package", "loyalty-functions.zip");

    private static readonly Lazy<Dictionary<string, ZipEntryData>> Package = new(() =>
    {
        if (!File.Exists(ZipPath))
        {
            throw new InvalidOperationException($"{ZipPath} does not exist: run 'bash eng/package.sh' (eng/test.sh does).");
        }

        using var zip = ZipFile.OpenRead(ZipPath);
        return zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToDictionary(
            e => e.FullName.Replace('\\', '/'),
            e =>
            {
                using var stream = e.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return new ZipEntryData(copy.ToArray(), e.ExternalAttributes);
            },
            StringComparer.Ordinal);
    });

    private static Dictionary<string, ZipEntryData> Entries => Package.Value;

    [Fact]
    public void HostJson_IsAtTheRoot_AndIsTheRepositorysHostJson()
    {
        Assert.True(Entries.ContainsKey("host.json"), "host.json must be at the root of the package");
        Assert.Equal(File.ReadAllText(Path.Combine(RepoRoot.Path, "host.json")), Entries["host.json"].Text);
        Assert.True(Entries.ContainsKey("program.json"), "program.json must sit beside the handler");
    }

    [Fact]
    public void HostJson_PointsAtAnExecutableLinuxHandlerInThePackage()
    {
        using var host = JsonDocument.Parse(Entries["host.json"].Bytes);
        var handler = host.RootElement.GetProperty("customHandler").GetProperty("description").GetProperty("defaultExecutablePath").GetString()!;

        Assert.True(Entries.TryGetValue(handler, out var entry), $"host.json names '{handler}', which is not in the package");
        Assert.True(entry.UnixMode != 0, "the zip does not record Unix file modes (zip it on Linux with System.IO.Compression or zip -X)");
        Assert.True((entry.UnixMode & 0b001_001_001) == 0b001_001_001, $"'{handler}' is not executable (mode {Convert.ToString(entry.UnixMode, 8)})");
        Assert.Equal("\u007fELF"u8.ToArray(), entry.Bytes[..4]);
        Assert.True(host.RootElement.GetProperty("customHandler").GetProperty("enableForwardingHttpRequest").GetBoolean());
    }

    [Fact]
    public void Handler_IsOneNativeExecutable()
    {
        // The Flex Consumption "custom" image carries no .NET 10 runtime: the handler is compiled ahead of time and needs
        // none (NativeHandlerTests runs it).
        Assert.DoesNotContain(Entries.Keys, k => k.EndsWith(".dll", StringComparison.Ordinal) || k.EndsWith(".so", StringComparison.Ordinal));
        Assert.DoesNotContain("Loyalty.Functions.runtimeconfig.json", Entries.Keys);
        Assert.DoesNotContain(Entries.Keys, k => k.EndsWith(".dbg", StringComparison.Ordinal));
    }

    [Fact]
    public void EverySourceFunction_IsInThePackage_WithAValidDefinition()
    {
        var source = FunctionDefinitions.FromSource().Select(f => f.Name).ToList();
        var packaged = Entries.Keys.Where(k => k.Contains('/', StringComparison.Ordinal)).ToList();
        var folders = packaged.Select(k => k[..k.IndexOf('/', StringComparison.Ordinal)]).Distinct().Order(StringComparer.Ordinal).ToList();

        Assert.Equal(source, folders);
        Assert.All(packaged, k => Assert.EndsWith("/function.json", k, StringComparison.Ordinal));
        Assert.All(packaged, k => Assert.Equal(2, k.Split('/').Length));
        var definitions = folders.Select(f => FunctionDefinitions.Parse(f, Entries[$"{f}/function.json"].Text)).ToList();
        Assert.Empty(definitions.SelectMany(FunctionDefinitions.Problems));
    }

    [Fact]
    public void Package_HoldsNoLocalSettingsDocsOrSecrets()
    {
        var names = Entries.Keys.Select(Path.GetFileName).ToList();

        Assert.DoesNotContain(names, n => n!.StartsWith("local.settings", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(names, n => n!.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(names, n => n!.EndsWith(".xml", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(names, n => n!.EndsWith(".staticwebassets.endpoints.json", StringComparison.OrdinalIgnoreCase));
        var textFiles = Entries.Where(e => Path.GetExtension(e.Key) is ".json" or ".txt" or ".config" or ".env" or ".yml" or ".yaml");
        Assert.All(textFiles, file =>
        {
            foreach (var marker in new[] { "AccountKey=", "SharedAccessKey=", "accesskey=", "InstrumentationKey=", "-----BEGIN", "UseDevelopmentStorage" })
            {
                Assert.False(file.Value.Text.Contains(marker, StringComparison.OrdinalIgnoreCase), $"{file.Key} contains '{marker}'");
            }
        });
    }

    private sealed record ZipEntryData(byte[] Bytes, int ExternalAttributes)
    {
        public string Text => Encoding.UTF8.GetString(Bytes);

        /// <summary>The permission bits a zip made on Unix keeps in the high 16 bits of the external attributes.</summary>
        public int UnixMode => (ExternalAttributes >> 16) & 0b111_111_111;
    }
}
