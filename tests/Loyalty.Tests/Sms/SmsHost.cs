using Loyalty.Adapters.Sms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Loyalty.Tests.Sms;

/// <summary>A generic host with <c>AddAcsSms()</c> and only the given settings (no environment variables), started
/// so that options validation runs as in the app; logs go to a <see cref="FakeLogCollector"/>.</summary>
public sealed class SmsHost : IAsyncDisposable
{
    private readonly IHost host;

    private SmsHost(IHost host) => this.host = host;

    public AcsSmsClient Client => host.Services.GetRequiredService<AcsSmsClient>();

    public FakeLogCollector Logs => host.Services.GetFakeLogCollector();

    public static async Task<SmsHost> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddFakeLogging(o => o.CollectRecordsForDisabledLogLevels = false);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddAcsSms();
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new SmsHost(host);
    }

    /// <summary>Settings for a client of <paramref name="fake"/> with delays short enough for tests.</summary>
    public static Dictionary<string, string?> SettingsFor(FakeAcs fake, params (string Key, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            [AcsSmsOptions.ConnectionStringSetting] = fake.ConnectionString,
            [AcsSmsOptions.FromSetting] = "+18005550100",
            ["Sms:Resilience:BaseDelay"] = "00:00:00.010",
            ["Sms:Resilience:MaxDelay"] = "00:00:00.050",
            ["Sms:Resilience:AttemptTimeout"] = "00:00:05",
            ["Sms:Resilience:TotalTimeout"] = "00:00:15",
            ["Sms:Resilience:MaxRetries"] = "3",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
