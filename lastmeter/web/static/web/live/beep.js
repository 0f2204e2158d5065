/* An alarm tone made with WebAudio (no audio file): three short square-wave beeps.
 * Browsers only let a page play sound after the user has interacted with it once, so the first
 * click or key press anywhere "unlocks" the audio context. `LM.beep.count` lets tests see it rang. */
(function () {
  "use strict";
  var ctx = null;

  function context() {
    if (!ctx) {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return null;
      ctx = new AC();
    }
    if (ctx.state === "suspended") ctx.resume();
    return ctx;
  }

  ["click", "keydown", "touchstart"].forEach(function (ev) {
    window.addEventListener(ev, context, { once: true, capture: true });
  });

  function alarm(times) {
    LM.beep.count += 1;
    document.body.dataset.beeps = String(LM.beep.count);
    var ac = context();
    if (!ac) return;
    var t0 = ac.currentTime + 0.02;
    for (var i = 0; i < (times || 3); i++) {
      var osc = ac.createOscillator();
      var gain = ac.createGain();
      osc.type = "square";
      osc.frequency.value = i % 2 ? 660 : 880;
      gain.gain.setValueAtTime(0.0001, t0 + i * 0.3);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + i * 0.3 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.3 + 0.22);
      osc.connect(gain).connect(ac.destination);
      osc.start(t0 + i * 0.3);
      osc.stop(t0 + i * 0.3 + 0.25);
    }
  }

  window.LM.beep = { count: 0, alarm: alarm };
})();
