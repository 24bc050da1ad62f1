using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Infrastructure;

/// <summary>The handler app in standalone mode, as <c>eng/run.sh</c> runs it: Kestrel on a free loopback port and the
/// trigger runner on, reading the function definitions in <paramref name="appRoot"/> (a <see cref="FunctionAppFolder"/>,
/// so that each test has its own queues and host.json).</summary>
public sealed class StandaloneApp(
    Azurite azurite,
    FunctionAppFolder appRoot,
    FakeTimeProvider? time = null,
    IReadOnlyDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    private HttpClient? client;

    /// <summary>Starts the app (and its runner) and returns a client once the app reports healthy.</summary>
    public async Task<HttpClient> StartAsync()
    {
        // Not UseKestrel(0): that rewrites the server's addresses after the app may have started Kestrel on its own
        // thread, which fails now and then (dotnet/aspnetcore#67714). An explicit listener has no such race.
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        client = CreateClient();
        return await TestHost.WhenHealthyAsync(client);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TriggerRunner:AppRoot", appRoot.Path);
        builder.UseSetting("TriggerRunner:DrainTimeout", "00:00:10");
        TestHost.Configure(builder, azurite.ConnectionString, time, settings, services);
    }

    protected override void Dispose(bool disposing)
    {
        client?.Dispose();
        base.Dispose(disposing);
    }
}
