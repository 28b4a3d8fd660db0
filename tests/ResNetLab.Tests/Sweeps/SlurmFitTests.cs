using ResNetLab.Sweeps;

namespace ResNetLab.Tests.Sweeps;

/// <summary>Issue 25, item 2: a sweep that cannot fit the cluster is refused at submit; a waiting task says why.</summary>
public class SlurmFitTests
{
    // `scontrol show partition -o` and `scontrol show node -o` of slurm-wlm 22.05 (the one-node cluster of .ci/run, plus a GPU partition).
    const string Partitions =
        "PartitionName=debug AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL AllocNodes=ALL Default=YES QoS=N/A DefaultTime=NONE DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO MaxNodes=UNLIMITED MaxTime=UNLIMITED MinNodes=0 LLN=NO MaxCPUsPerNode=UNLIMITED Nodes=vm PriorityJobFactor=1 PriorityTier=1 RootOnly=NO ReqResv=NO OverSubscribe=NO OverTimeLimit=NONE PreemptMode=OFF State=UP TotalCPUs=2 TotalNodes=1 SelectTypeParameters=NONE JobDefaults=(null) DefMemPerCPU=1024 MaxMemPerNode=UNLIMITED\n" +
        "PartitionName=gpu AllowGroups=ALL Default=NO MaxTime=1-00:00:00 MaxCPUsPerNode=8 Nodes=g[1-2] State=UP TotalCPUs=64 TotalNodes=2 MaxMemPerNode=64000\n";
    const string Nodes =
        "NodeName=vm Arch=x86_64 CoresPerSocket=1 CPUAlloc=0 CPUEfctv=2 CPUTot=2 CPULoad=1.93 AvailableFeatures=(null) ActiveFeatures=(null) Gres=(null) NodeAddr=vm NodeHostName=vm Version=22.05.8 OS=Linux 6.1.0-27-cloud-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01) RealMemory=22118 AllocMem=0 FreeMem=14035 Sockets=2 Boards=1 State=IDLE ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A Partitions=debug BootTime=2026-11-30T10:00:00 SlurmdStartTime=2026-12-03T16:00:00\n" +
        "NodeName=g1 CPUTot=32 RealMemory=128000 Gres=gpu:a100:4(S:0-1) Partitions=gpu State=IDLE\n" +
        "NodeName=g2 CPUTot=32 RealMemory=128000 Gres=gpu:a100:2 Partitions=gpu State=MIXED\n";

    static readonly SlurmCluster Cluster = SlurmCluster.Parse(Partitions, Nodes);

    [Fact]
    public void The_cluster_is_read_from_scontrol()
    {
        Assert.Equal(["debug", "gpu"], Cluster.Partitions.Select(p => p.Name));
        Assert.Equal("debug", Cluster.Partition(null).Name);
        var vm = Assert.Single(Cluster.NodesOf(Cluster.Partition("debug")));
        Assert.Equal((2, 22118L), (vm.Cpus, vm.MemoryMb));
        Assert.Equal(TimeSpan.FromDays(1), Cluster.Partition("gpu").MaxTime);
        Assert.Null(Cluster.Partition("debug").MaxTime);
        Assert.Equal(["gpu:a100:4"], Cluster.Nodes.Single(n => n.Name == "g1").Gres);
        Assert.Contains("partitions: debug, gpu", Assert.Throws<ArgumentException>(() => Cluster.Partition("long")).Message);
    }

    [Fact]
    public void A_request_no_node_can_run_is_named_with_what_the_partition_has()
    {
        Assert.Equal("a task asks for 4 CPUs, the largest node of partition debug has 2", Cluster.Misfit(new SlurmResources { Cpus = 4 }));
        Assert.Null(Cluster.Misfit(new SlurmResources { Cpus = 2, Mem = "3G", Time = "00:30:00" }));
        Assert.StartsWith("a task asks for --mem 64G (65,536 MB), the largest node of partition debug with 1 CPUs has 22,118 MB",
            Cluster.Misfit(new SlurmResources { Cpus = 1, Mem = "64G" }));
        Assert.StartsWith("a task asks for --gres gpu:1, no node of partition debug", Cluster.Misfit(new SlurmResources { Cpus = 1, Gres = "gpu:1" }));
        // MaxCPUsPerNode caps what a 32-CPU node gives; the time limit and gres counts are checked too.
        Assert.Equal("a task asks for 16 CPUs, the largest node of partition gpu has 8", Cluster.Misfit(new SlurmResources { Partition = "gpu", Cpus = 16 }));
        Assert.Equal("a task asks for --time 2-00:00:00, partition gpu's time limit is 1-00:00:00",
            Cluster.Misfit(new SlurmResources { Partition = "gpu", Cpus = 4, Time = "2-00:00:00" }));
        Assert.Null(Cluster.Misfit(new SlurmResources { Partition = "gpu", Cpus = 8, Gres = "gpu:a100:4", Mem = "60G", Time = "12:00:00" }));
        Assert.NotNull(Cluster.Misfit(new SlurmResources { Partition = "gpu", Cpus = 8, Gres = "gpu:a100:5" }));
        Assert.NotNull(Cluster.Misfit(new SlurmResources { Partition = "gpu", Cpus = 8, Gres = "gpu:v100:1" }));
        Assert.Null(Cluster.Misfit(new SlurmResources { Partition = "gpu", Cpus = 8, Mem = "63000M" }));
        Assert.NotNull(Cluster.Misfit(new SlurmResources { Partition = "gpu", Cpus = 8, Mem = "65000M" }));
    }

    [Fact]
    public void The_default_cpus_fit_the_partitions_nodes()
    {
        Assert.Equal(2, Cluster.DefaultCpus(null));
        Assert.Equal(4, Cluster.DefaultCpus("gpu"));
        Assert.Null(Cluster.Misfit(new SlurmResources { Cpus = Cluster.DefaultCpus(null) }));
    }

    [Theory]
    [InlineData("30", 0, 30, 0)]
    [InlineData("30:15", 0, 30, 15)]
    [InlineData("12:00:00", 12, 0, 0)]
    [InlineData("1-02", 26, 0, 0)]
    [InlineData("1-02:03:04", 26, 3, 4)]
    public void Slurm_times_parse(string text, int hours, int minutes, int seconds) =>
        Assert.Equal(new TimeSpan(hours, minutes, seconds), SlurmCluster.ParseTime(text));

    [Fact]
    public void A_waiting_task_says_why_in_this_sweeps_terms()
    {
        var job = new SlurmJobRecord("41", new SlurmResources { Cpus = 4 }, DateTime.UtcNow);
        Assert.Equal("a task asks for 4 CPUs, the largest node of partition debug has 2 — it will never start: scancel it and submit with less",
            SlurmQueue.Explain("PartitionConfig", job, Cluster));
        Assert.StartsWith("requeued", SlurmQueue.Explain("BeginTime", job, Cluster));
        Assert.Equal("held: scontrol release 41", SlurmQueue.Explain("JobHeldUser", job, Cluster));
        Assert.Equal("Priority — other jobs are ahead in the queue", new SlurmWait("41_3", "PD", "Priority", "other jobs are ahead in the queue").Describe());
    }

    [Fact]
    public void Status_maps_queued_tasks_to_their_runs()
    {
        var runs = TestPaths.TempDir("slurm-queue");
        try
        {
            var request = new SweepRequest(null, ["resnet20", "plain20"], ResNetLab.Training.Budget.Smoke, 1);
            var manifest = new SweepManifest { Label = request.Label, RunsDir = runs, Runs = request.Runs() };
            manifest.Write();
            SlurmQueue.Record(manifest.Folder, new SlurmJobRecord("41", new SlurmResources { Cpus = 1 }, DateTime.UtcNow));
            string? asked = null;
            var waiting = SlurmQueue.Waiting(runs, request.Label, ids => { asked = ids; return "41_0|R|None\n41_1|PD|Priority\n"; });
            Assert.Equal("41", asked);
            Assert.Equal(("41_0", "R"), (waiting[manifest.Runs[0].RunName].Task, waiting[manifest.Runs[0].RunName].State));
            Assert.Equal("Priority — other jobs are ahead in the queue", waiting[manifest.Runs[1].RunName].Describe());
            Assert.Empty(SlurmQueue.Waiting(runs, "another-label", _ => throw new InvalidOperationException("no squeue call without recorded jobs")));
        }
        finally { Directory.Delete(runs, true); }
    }
}
