/**
 * The cue on open dashboard pages when an alarm is raised: a short tone (Web Audio; no sound
 * file) and the title bar showing how many alarms wait for someone, flashing "New alarm" until
 * the page is looked at. The tone can be turned off per browser (kept in localStorage).
 */
import { alarmLevel } from './alarm-level.ts';
import type { FleetStore } from './store.ts';

const SOUND_KEY = 'vigil.alarmSound';
const PREFIX = /^(\(\d+\) |⚠ New alarm · )/;
const FLASH_MS = 1000;
const FLASH_MAX = 60;

export function soundEnabled(): boolean {
  return localStorage.getItem(SOUND_KEY) !== 'off';
}

export function setSoundEnabled(on: boolean): void {
  localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
}

let audio: AudioContext | null = null;

/** Two or three short beeps (three for critical and regulatory alarms). */
export function playAlarmTone(urgent: boolean): void {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    // Browsers start an AudioContext suspended until the user has interacted with the page.
    void ctx.resume().catch(() => {});
    const beeps = urgent ? 3 : 2;
    for (let i = 0; i < beeps; i++) {
      const t = ctx.currentTime + i * 0.25;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = urgent ? 880 : 660;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.2);
    }
  } catch {
    // No audio device or no Web Audio: the title bar still shows it.
  }
}

/** Starts the cue; returns its clean-up. */
export function startAlarmCue(store: FleetStore): () => void {
  const seen = new Set<string>();
  let primed = false;
  let flashes = 0;
  let flashTimer: ReturnType<typeof setInterval> | null = null;
  let waiting = 0;

  const base = () => document.title.replace(PREFIX, '');
  const write = (flashOn: boolean) => {
    const b = base();
    const want = flashOn ? `⚠ New alarm · ${b}` : waiting > 0 ? `(${waiting}) ${b}` : b;
    if (document.title !== want) document.title = want;
  };
  const stopFlash = () => {
    if (flashTimer) clearInterval(flashTimer);
    flashTimer = null;
    write(false);
  };
  const flash = () => {
    flashes = 0;
    if (flashTimer) return;
    flashTimer = setInterval(() => {
      flashes++;
      if (
        flashes > FLASH_MAX ||
        (document.visibilityState === 'visible' && document.hasFocus() && flashes > 6)
      )
        return stopFlash();
      write(flashes % 2 === 1);
    }, FLASH_MS);
  };

  const update = () => {
    const open = store.openAlarms().filter((a) => !a.ack);
    waiting = open.length;
    const fresh = open.filter((a) => !seen.has(a.id));
    for (const a of store.openAlarms()) seen.add(a.id);
    // The first load is the state of things, not news.
    if (primed && fresh.length > 0) {
      if (soundEnabled())
        playAlarmTone(fresh.some((a) => ['critical', 'regulatory'].includes(alarmLevel(a))));
      flash();
    }
    if (store.loaded) primed = true;
    if (!flashTimer) write(false);
  };

  // The router sets the title of each page: keep the count in front of it.
  const titleEl = document.querySelector('title');
  const observer = new MutationObserver(() => {
    if (!PREFIX.test(document.title) && waiting > 0) write(false);
  });
  if (titleEl) observer.observe(titleEl, { childList: true, characterData: true, subtree: true });
  const onFocus = () => stopFlash();
  window.addEventListener('focus', onFocus);
  const unsub = store.on('alarms', update);
  return () => {
    unsub();
    observer.disconnect();
    window.removeEventListener('focus', onFocus);
    stopFlash();
  };
}
