// Multi-page build: engineer app (/app/), dispatcher console (/dispatch/), customer page
// (customer.html, served by Flask at /r/<qr_token> and /t/<tracking_token>).
// The service worker is built with vite-plugin-pwa in injectManifest mode and written to
// dist/app/sw.js so its default scope is /app/ — the console and customer page never get it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const here = import.meta.dirname;

// The API reference (/api/docs, flask-smorest's Swagger UI page) loads Swagger UI from
// /swagger-ui/, copied here from the swagger-ui-dist package, so it works on a network that
// cannot reach a CDN - the same as the rest of the product.
const SWAGGER_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js'];
function swaggerUi() {
  return {
    name: 'fieldops-swagger-ui',
    apply: 'build',
    closeBundle() {
      const from = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
      const to = resolve(here, 'dist/swagger-ui');
      mkdirSync(to, { recursive: true });
      for (const name of SWAGGER_FILES) copyFileSync(resolve(from, name), resolve(to, name));
    },
  };
}

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true, // dist/.vite/manifest.json: lets the size check follow the app's imports
    target: 'es2020',
    rollupOptions: {
      input: {
        app: resolve(here, 'app/index.html'),
        dispatch: resolve(here, 'dispatch/index.html'),
        customer: resolve(here, 'customer.html'),
      },
      output: {
        // The lazily imported Firebase SDK (src/app/push.ts) gets recognisable chunk names so
        // the precache below can leave it out: push needs the network anyway.
        // The console's Insights screen (src/dispatch/insights/, with ECharts) is one lazily
        // imported chunk named so too, kept out of the engineer app's precache below.
        chunkFileNames: (chunk) =>
          chunk.moduleIds.some((id) => /[\\/]node_modules[\\/](@?firebase)[\\/]/.test(id))
            ? 'assets/firebase-[hash].js'
            : chunk.moduleIds.some((id) => /[\\/](echarts|zrender)[\\/]|[\\/]src[\\/]dispatch[\\/]insights[\\/]/.test(id))
              ? 'assets/insights-[hash].js'
              : 'assets/[name]-[hash].js',
      },
    },
  },
  plugins: [
    swaggerUi(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/app',
      filename: 'sw.ts',
      outDir: 'dist/app',
      injectRegister: false, // registered by src/app/main.ts with scope /app/
      manifest: false, // hand-written public/app/manifest.webmanifest
      injectManifest: {
        globDirectory: 'dist',
        // The engineer app shell only: Leaflet (dispatch) and the customer page stay out.
        globPatterns: ['app/index.html', 'app/manifest.webmanifest', 'assets/*.{js,css}', 'icons/*.png'],
        globIgnores: ['assets/dispatch-*', 'assets/customer-*', 'assets/leaflet-*', 'assets/firebase-*', 'assets/insights-*', 'app/sw.js'],
        modifyURLPrefix: { '': '/' },
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
      },
      devOptions: { enabled: false },
    }),
  ],
  test: {
    include: ['test/**/*.test.{js,ts}'],
    environment: 'node',
  },
});
