; Correct program (no finding): in check mode a fresh block is filled with 0xbe bytes. The
; program checks all 64 bytes of a fresh malloc(64) block and exits 3 when they are not.
; Reading fresh memory is no error in itself: memboss must stay silent.
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        push    r12
        sub     rsp, 8
        mov     edi, 64
        call    malloc
        mov     rbx, rax
        mov     rdx, 0xbebebebebebebebe
        xor     ecx, ecx
        xor     r12d, r12d              ; exit status
.next:
        cmp     [rbx+rcx*8], rdx
        je      .ok
        mov     r12d, 3
.ok:
        inc     ecx
        cmp     ecx, 8
        jb      .next
        mov     rdi, rbx
        call    free
        mov     eax, r12d
        add     rsp, 8
        pop     r12
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
