# SPDX-License-Identifier: MIT
<#
.SYNOPSIS
  idleacc-wsl.ps1 - prepares the WSL2 guest in which a Windows PC's Slurm node runs (slurmd,
  munged, idleaccd), for idle-accelerator. Usable as a Group Policy computer startup script;
  every step checks first and changes only what differs, so it runs at every boot.

.DESCRIPTION
  WSL2 distributions belong to a user and WSL does not run as SYSTEM, so the guest belongs
  to a local account, idleacc-wsl, that nobody signs in with. Run as SYSTEM or an
  administrator (the default, -Machine), the script:
    1. checks WSL2 (installs it without a distribution if missing: exit 3010, reboot);
    2. creates the account idleacc-wsl (a new random password at every run, kept nowhere)
       and gives it "Log on as a batch job";
    3. lets it read the service's secret (%ProgramData%\IdleAccelerator\secret);
    4. allows slurmd's port in through the Hyper-V firewall (mirrored networking);
    5. registers the task "idleacc-wsl" that runs this script with -Guest as idleacc-wsl at
       every startup, and starts it.
  With -Guest (as idleacc-wsl, from that task) it:
    6. writes .wslconfig: mirrored networking, and the GuestLimits policy's CPUs and memory;
    7. imports the distribution "idleacc" from the GuestSetup policy's image if missing;
    8. configures it as root: systemd, the host name (the node name), the munge key, the
       Windows secret, slurm.conf, idleacc.yaml and plugstack.conf from the policy's folder;
    9. restarts the distribution when its configuration changed, then keeps it running.
  Settings come from HKLM\Software\Policies\IdleAccelerator (idleacc.admx); parameters
  override them. Exit codes: 0 done, 1 error (logged), 3010 reboot needed.

  Tested: nothing here could run PowerShell; review it, and try it on one PC before a GPO
  assigns it (README.md, "Windows desktops").
#>
[CmdletBinding(DefaultParameterSetName = 'Machine')]
param(
    [Parameter(ParameterSetName = 'Machine')][switch]$Machine,
    [Parameter(ParameterSetName = 'Guest')][switch]$Guest,
    [string]$GuestImage,
    [string]$MungeKeyPath,
    [string]$SlurmConfDir,
    [string]$NodeName
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3

$Distro = 'idleacc'
$Account = 'idleacc-wsl'
$TaskName = 'idleacc-wsl'
$SlurmdPort = 6818
$DataDir = Join-Path $env:ProgramData 'IdleAccelerator'
$DistroDir = Join-Path $DataDir 'wsl'
$Secret = Join-Path $DataDir 'secret'
$Log = Join-Path $DataDir 'idleacc-wsl.log'
$PolicyKey = 'HKLM:\Software\Policies\IdleAccelerator'

function Write-Log([string]$Message) {
    $line = '{0} {1}' -f (Get-Date -Format s), $Message
    Add-Content -Path $Log -Value $line
    Write-Output $line
}

function Get-Policy([string]$Name, $Default) {
    $v = Get-ItemProperty -Path $PolicyKey -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $v) { return $Default }
    return $v.$Name
}

# wsl.exe's own messages are UTF-16; read them as text.
function Invoke-Wsl([string[]]$Arguments) {
    $old = [Console]::OutputEncoding
    [Console]::OutputEncoding = [Text.Encoding]::Unicode
    try { $out = & wsl.exe @Arguments 2>&1 } finally { [Console]::OutputEncoding = $old }
    return @{ Code = $LASTEXITCODE; Text = ($out -join "`n") }
}

# Runs a shell command as root in the distribution, with [Stdin] as its input; throws if it
# fails. --exec: no second shell re-reads the command; the commands hold no double quotes,
# which Windows PowerShell 5.1 passes badly to native programs. Paths have no spaces.
function Invoke-Root([string]$Command, [string]$Stdin = $null) {
    $a = @('-d', $Distro, '-u', 'root', '--exec', 'sh', '-c', $Command)
    if ($Stdin) { $out = $Stdin | & wsl.exe @a 2>&1 } else { $out = & wsl.exe @a 2>&1 }
    if ($LASTEXITCODE -ne 0) { throw "in the guest: $Command : $($out -join ' ')" }
    return ($out -join "`n")
}

# Copies a Windows file into the guest if its content differs; returns $true if it did. The
# content goes through stdin as base64: no size limit, nothing staged on a shared drive.
function Copy-IntoGuest([string]$From, [string]$To, [string]$Mode, [string]$Owner) {
    $sum = (Get-FileHash -Algorithm SHA256 -Path $From).Hash.ToLower()
    $have = Invoke-Root "sha256sum $To 2>/dev/null | cut -d' ' -f1"
    if ($have.Trim() -eq $sum) { return $false }
    $b64 = [Convert]::ToBase64String([IO.File]::ReadAllBytes($From))
    Invoke-Root ("mkdir -p `$(dirname $To) && base64 -d > $To.new && chown $Owner $To.new && " +
        "chmod $Mode $To.new && mv $To.new $To") $b64 | Out-Null
    Write-Log "copied $From to the guest's $To"
    return $true
}

function Invoke-Machine {
    New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
    # 1. WSL2
    $status = Invoke-Wsl @('--status')
    if ($status.Code -ne 0) {
        Write-Log 'WSL is missing: installing it without a distribution; reboot needed'
        & wsl.exe --install --no-distribution
        exit 3010
    }
    # 2. the account that owns the guest
    $password = -join ((48..57) + (65..90) + (97..122) | Get-Random -Count 32 | ForEach-Object { [char]$_ })
    $secure = ConvertTo-SecureString $password -AsPlainText -Force
    if (-not (Get-LocalUser -Name $Account -ErrorAction SilentlyContinue)) {
        New-LocalUser -Name $Account -Password $secure -PasswordNeverExpires `
            -UserMayNotChangePassword -Description 'idle-accelerator: owns the WSL2 guest' | Out-Null
        Write-Log "created the local account $Account"
    } else {
        Set-LocalUser -Name $Account -Password $secure
    }
    $sid = (Get-LocalUser -Name $Account).SID.Value
    $cfg = Join-Path $env:TEMP 'idleacc-secedit.inf'
    secedit /export /cfg $cfg /areas USER_RIGHTS | Out-Null
    $rights = Get-Content $cfg
    $line = $rights | Where-Object { $_ -like 'SeBatchLogonRight*' }
    if (-not $line -or $line -notlike "*$sid*") {
        $new = if ($line) { "$line,*$sid" } else { "SeBatchLogonRight = *$sid" }
        $body = "[Unicode]`r`nUnicode=yes`r`n[Privilege Rights]`r`n$new`r`n[Version]`r`nsignature=`"`$CHICAGO`$`"`r`nRevision=1"
        Set-Content -Path $cfg -Value $body -Encoding Unicode
        secedit /configure /db (Join-Path $env:TEMP 'idleacc-secedit.sdb') /cfg $cfg /areas USER_RIGHTS | Out-Null
        Write-Log "granted $Account the right to log on as a batch job"
    }
    Remove-Item $cfg -Force -ErrorAction SilentlyContinue
    # 3. the secret (the idleacc service makes it at its first start)
    if (-not (Test-Path $Secret)) { throw "$Secret is missing: is the idleacc service installed and started?" }
    $acl = Get-Acl $Secret
    if (-not ($acl.Access | Where-Object { $_.IdentityReference -like "*\$Account" })) {
        $rule = New-Object Security.AccessControl.FileSystemAccessRule($Account, 'Read', 'Allow')
        $acl.AddAccessRule($rule)
        Set-Acl -Path $Secret -AclObject $acl
        Write-Log "$Account may read the secret"
    }
    New-Item -ItemType Directory -Force -Path $DistroDir | Out-Null
    icacls $DistroDir /grant "${Account}:(OI)(CI)F" | Out-Null
    # 4. slurmctld and srun reach slurmd in the guest (Hyper-V firewall, Windows 11 22H2)
    $wslVm = '{40E0AC32-46A5-438A-A0B2-2B479E8F2E90}'
    if (-not (Get-Command New-NetFirewallHyperVRule -ErrorAction SilentlyContinue)) {
        Write-Log 'no Hyper-V firewall here (Windows 11 22H2 or later has it): slurmd may be unreachable'
    } elseif (-not (Get-NetFirewallHyperVRule -Name 'idleacc-slurmd' -ErrorAction SilentlyContinue)) {
        New-NetFirewallHyperVRule -Name 'idleacc-slurmd' -DisplayName 'idle-accelerator: slurmd' `
            -Direction Inbound -VMCreatorId $wslVm -Protocol TCP -LocalPorts $SlurmdPort -Action Allow | Out-Null
        Write-Log "firewall: slurmd's port $SlurmdPort is open to the guest"
    }
    # 5. the task that keeps the guest running
    $self = Join-Path $DataDir 'idleacc-wsl.ps1'
    if ($PSCommandPath -ne $self) { Copy-Item -Force $PSCommandPath $self }
    $action = New-ScheduledTaskAction -Execute 'powershell.exe' `
        -Argument "-NoProfile -ExecutionPolicy Bypass -File `"$self`" -Guest"
    $trigger = New-ScheduledTaskTrigger -AtStartup
    $settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) `
        -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -Priority 7
    Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings `
        -User $Account -Password $password -RunLevel Limited -Force | Out-Null
    if ((Get-ScheduledTask -TaskName $TaskName).State -ne 'Running') {
        Start-ScheduledTask -TaskName $TaskName
        Write-Log "started the task $TaskName"
    }
}

function Invoke-Guest {
    if (-not $GuestImage) { $GuestImage = Get-Policy 'GuestImage' '' }
    if (-not $MungeKeyPath) { $MungeKeyPath = Get-Policy 'MungeKeyPath' '' }
    if (-not $SlurmConfDir) { $SlurmConfDir = Get-Policy 'SlurmConfDir' '' }
    if (-not $NodeName) { $NodeName = Get-Policy 'NodeName' '' }
    if (-not $NodeName) { $NodeName = $env:COMPUTERNAME.ToLower() }
    foreach ($p in @('GuestImage', 'MungeKeyPath', 'SlurmConfDir')) {
        if (-not (Get-Variable -Name $p -ValueOnly)) { throw "the GuestSetup policy has no $p" }
    }
    # 6. .wslconfig
    $cfg = "[wsl2]`r`nnetworkingMode=mirrored`r`n"
    $cpus = Get-Policy 'GuestProcessors' $null
    $mem = Get-Policy 'GuestMemoryMB' $null
    if ($cpus) { $cfg += "processors=$cpus`r`n" }
    if ($mem) { $cfg += "memory=${mem}MB`r`n" }
    $wslconfig = Join-Path $env:USERPROFILE '.wslconfig'
    $restart = $false
    if (-not (Test-Path $wslconfig) -or (Get-Content -Raw $wslconfig) -ne $cfg) {
        Set-Content -Path $wslconfig -Value $cfg -NoNewline
        Write-Log "wrote $wslconfig"
        & wsl.exe --shutdown
    }
    # 7. the distribution
    $list = (Invoke-Wsl @('--list', '--quiet')).Text -split "`n" | ForEach-Object { $_.Trim() }
    if ($list -notcontains $Distro) {
        Write-Log "importing $GuestImage as $Distro"
        $r = Invoke-Wsl @('--import', $Distro, $DistroDir, $GuestImage, '--version', '2')
        if ($r.Code -ne 0) { throw "wsl --import: $($r.Text)" }
    }
    # 8. inside the guest
    $conf = "[boot]`nsystemd=true`n[network]`nhostname=$NodeName`ngenerateHosts=true`n[interop]`nenabled=false`nappendWindowsPath=false`n"
    $tmp = Join-Path $env:TEMP 'idleacc-wsl.conf'
    [IO.File]::WriteAllText($tmp, $conf)
    if (Copy-IntoGuest $tmp '/etc/wsl.conf' '644' 'root:root') { $restart = $true }
    Remove-Item $tmp -Force
    Invoke-Root 'command -v slurmd >/dev/null && command -v munged >/dev/null && command -v idleaccd >/dev/null' | Out-Null
    if (Copy-IntoGuest $MungeKeyPath '/etc/munge/munge.key' '400' 'munge:munge') { $restart = $true }
    if (Copy-IntoGuest $Secret '/etc/idleacc/windows.secret' '600' 'root:root') { $restart = $true }
    foreach ($f in @('slurm.conf', 'idleacc.yaml', 'plugstack.conf')) {
        $from = Join-Path $SlurmConfDir $f
        if ((Test-Path $from) -and (Copy-IntoGuest $from "/etc/slurm/$f" '644' 'root:root')) { $restart = $true }
    }
    Invoke-Root 'systemctl enable munge slurmd idleaccd >/dev/null 2>&1 || true' | Out-Null
    # 9. restart on change, then keep the guest up (this task runs for as long as Windows does)
    if ($restart) {
        Write-Log "the guest's configuration changed: restarting $Distro"
        & wsl.exe --terminate $Distro
    }
    Write-Log "running $Distro as node $NodeName"
    & wsl.exe -d $Distro -u root --exec /bin/sleep infinity
}

try {
    if ($Guest) { Invoke-Guest } else { Invoke-Machine }
    exit 0
} catch {
    Write-Log "error: $($_.Exception.Message)"
    exit 1
}
